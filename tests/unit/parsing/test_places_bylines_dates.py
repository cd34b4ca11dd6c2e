"""Clean datelines, places and agencies (issue 9.4) and dates the sink cannot store refused at
parse (issues 12.5, 13 "small lies")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from processors.parsing import parse_raw_item
from schemas.models import InvalidItem, RawMeta
from wirecore.byline import canonical_agencies, parse_byline, places_of
from wirecore.dates import parse_date_field
from wirecore.places import canonical_place, fold

NOW = datetime(2026, 1, 24, 17, tzinfo=UTC)


@pytest.mark.parametrize(("names", "canonical"), [
    (["Moskou", "Moscow", "Moskau", "MOSKVA", "Moscou"], "Moscow"),
    (["Den Haag", "'S-GRAVENHAGE", "The Hague", "La Haye"], "The Hague"),
    (["Kiew", "KYIV", "Kiev", "Kijev"], "Kyiv"),
    (["München", "MUNCHEN", "Munich"], "Munich"),
    (["Brussel", "Bruxelles", "Brüssel", "Brussels"], "Brussels"),
    (["Oekraïne", "Ukraine", "UKRAINE"], "Ukraine"),  # countries through CLDR names
    (["Duitsland", "Deutschland", "Allemagne"], "Germany"),
    (["Łódź", "LODZ"], "Łódź"),
])
def test_one_canonical_name_across_languages(names, canonical):
    assert {canonical_place(n) for n in names} == {canonical}


@pytest.mark.parametrize("name", ["Donald Trump", "Tim Walz", "Mark Rutte", "Jan 24", "(dpa)",
                                  "-", "MOW", "", "x" * 200, "Minn."])
def test_persons_codes_and_noise_are_not_places(name):
    assert canonical_place(name) is None or name == "Minn."  # an alias of Minden; places_of drops it
    assert places_of(name) == []


def test_most_populous_wins_a_shared_name():
    assert canonical_place("Moscow") == "Moscow" and canonical_place("Paris") == "Paris"
    assert fold("ŁÓDŹ") == "lodz" and fold("'s-Hertogenbosch") == "s hertogenbosch"


@pytest.mark.parametrize(("text", "dateline", "places", "agencies", "rest"), [
    ("New York (dpa) - Ein Feuer.", "New York", ["New York City"], ["DPA"], "Ein Feuer."),
    ("MINNEAPOLIS, Minn. (AP) — A man died.", "MINNEAPOLIS", ["Minneapolis"], ["AP"], "A man died."),
    ("WASHINGTON/ABU DHABI (ANP/AFP) - Talks.", "WASHINGTON/ABU DHABI",
     ["Washington", "Abu Dhabi"], ["ANP", "AFP"], "Talks."),
    ("Moskau/Kiew (dpa/AFP) - Krieg.", "Moskau/Kiew", ["Moscow", "Kyiv"], ["DPA", "AFP"], "Krieg."),
    ("LONDON, Jan 24 (Reuters) - Rates.", "LONDON", ["London"], ["RTR"], "Rates."),
    ("MANAMA (BNA) - Bahrain news.", "MANAMA", ["Manama"], ["BNA"], "Bahrain news."),  # byline code
    ("ZUIDBROEK (ANP) - Dorp.", "ZUIDBROEK", [], ["ANP"], "Dorp."),  # village: dateline, no place
])
def test_bylines(text, dateline, places, agencies, rest):
    b = parse_byline(text)
    assert (b.dateline, b.places, b.agencies, text[b.end:]) == (dateline, places, agencies, rest)


@pytest.mark.parametrize("text", [
    "Donald Trump (AP) - said something.",  # a person is not a dateline
    "Het kabinet (ANP) - wil meer.",
    "Some Company (Acme Corp) - results.",
    "ZUIDBROEK (VVD) - not an agency without a known place",
])
def test_not_bylines(text):
    assert parse_byline(text) is None


@pytest.mark.parametrize(("dateline", "places"), [
    ("New York (dpa) -", ["New York City"]),
    ("Minneapolis, Minn.", ["Minneapolis"]),
    ("MINNEAPOLIS, MN", ["Minneapolis"]),
    ("Frankfurt/Main", ["Frankfurt am Main"]),
    ("Berlin -", ["Berlin"]),
    ("Paris – Le gouvernement", ["Paris"]),
    ("Tim Walz", []),
])
def test_places_of_datelines(dateline, places):
    assert places_of(dateline) == places


def test_agencies_only_known_names_and_their_domains():
    assert canonical_agencies(["Reuters", "www.reuters.com", "https://apnews.com/article/x",
                               "nprov:AFP", "Example Media Group B.V.", "www.ndr.de", "Maria",
                               "google.com", "dpa"]) == ["RTR", "AP", "AFP", "DPA"]
    assert canonical_agencies("ANP/AFP/Reuters") == ["ANP", "AFP", "RTR"]


def _jsonl(**fields) -> bytes:
    import orjson
    return orjson.dumps({"headline": "h", "body": "b", **fields})


META = RawMeta(source="archive", format="jsonl", fetched_at="2026-01-24T18:00:00+01:00")


@pytest.mark.parametrize(("fields", "reason"), [
    ({"published_at": "0001-01-01T00:00:00Z"},
     "published_at date 0001-01-01 is outside the storable range 1900-01-01 .. 2299-12-31"),
    ({"published_at": "1899-12-31T23:59:59Z"}, "outside the storable range"),
    ({"published_at": "2300-01-01T00:00:00Z"}, "outside the storable range"),
    ({"published_at": "2026-01-24T10:00:00Z", "updated_at": "9999-12-31T00:00:00Z"},
     "updated_at date 9999-12-31 is outside"),
    ({"published_at": "2026-01-24T10:00:00Z", "embargoed_until": "0001-01-01"},
     "embargoed date 0001-01-01 is outside"),
    ({"published_at": "Sat, 01 Jan 0000 00:00:00 +0000"}, "year 0000 is not a date"),
    ({"published_at": "0001-01-01T00:30:00+01:00"}, "outside the storable range"),
])
def test_unstorable_dates_are_refused_at_parse(fields, reason):
    with pytest.raises(InvalidItem, match=reason.replace(".", r"\.")):
        parse_raw_item(_jsonl(**fields), META, now=NOW)


def test_storable_edges_and_two_digit_years_still_read():
    assert parse_date_field("1900-01-01T00:00:00Z", UTC, "d") == datetime(1900, 1, 1, tzinfo=UTC)
    assert parse_date_field("2299-12-31T23:59:59Z", UTC, "d").year == 2299
    assert parse_date_field("24 Jan 00 10:00:00 +0000", UTC, "d").year == 2000  # RFC 822 "00"
    assert parse_date_field("Sat, 24 Jan 2026 17:04:00 -0000", UTC, "d").hour == 17


def test_fetched_at_year_one_is_refused_not_stored():
    meta = RawMeta(source="s", format="jsonl", fetched_at="0001-01-01T00:00:00+00:00")
    with pytest.raises(InvalidItem, match="fetched_at date 0001-01-01"):
        parse_raw_item(_jsonl(), meta, now=NOW)
