"""Every sample format file in tests/fixtures/formats: detected, split, parsed, schema-valid."""

from __future__ import annotations

import pytest

import schemas
from processors.parsing import parse_raw_item
from schemas.models import InvalidItem
from tests.support.formats import FETCHED_AT, FIXTURES, NOW, parse_file  # noqa: F401


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()
                                        if not p.name.endswith(".expected.json")))
def test_fixture_records_are_schema_valid_and_stable(name):
    _, result, records, _ = parse_file(name)
    assert records
    validator = schemas.validator("wire_item")
    for record in records:
        assert list(validator.iter_errors(record.to_dict())) == []
    parsed_again = []
    for item in result.items:
        try:
            parsed_again.append(parse_raw_item(item.payload, item.meta, now=NOW))
        except InvalidItem:
            continue
    assert [r.to_dict() for r in parsed_again] == [r.to_dict() for r in records]


def test_rss_cdata_entities_namespaces_and_timezones():
    fmt, result, (first, second, third), _ = parse_file("rss-cdata-namespaces.xml")
    assert fmt == "rss" and result.errors == []
    assert first.guid == "urn:example:wire:1" and result.items[0].key == first.guid
    assert first.headline == "Ceasefire talks resume in Abu Dhabi"  # HTML in CDATA stripped
    assert first.body.startswith("Delegations from Ukraine")  # content:encoded wins, byline cut
    assert first.body.endswith('The talks were "constructive", the official added.')
    assert (first.dateline, first.places, first.agencies) == ("ABU DHABI", ["Abu Dhabi"], ["RTR"])
    assert first.published_at == "2026-01-24T13:05:00Z"  # +0100 honoured
    assert first.language == "en"  # channel <language> carried onto the item as xml:lang
    assert first.url == "https://example.org/news/1"
    assert b'xmlns:content="http://purl.org/rss/1.0/modules/content/"' in result.items[0].payload
    assert b"<![CDATA[" in result.items[0].payload
    assert second.headline == "Café owners protest in Paris"
    assert second.body == "Owners of cafés in Paris protested on Saturday against new rules for terraces."
    assert second.published_at == "2026-01-24T09:30:00Z"  # dc:date
    assert second.agencies == ["AFP"] and second.guid == "https://example.org/news/2"
    assert third.published_at == "2026-01-24T17:00:00Z"  # no date: the fetch time


def test_atom_xhtml_content_and_dates():
    fmt, _, (first, second), _ = parse_file("atom-xhtml.xml")
    assert fmt == "atom"
    assert first.headline == "Streik bei der Bahn beendet"
    assert first.body == ("Der Streik bei der Deutschen Bahn ist beendet. Die Züge fahren wieder "
                          "nach Plan, teilte das Unternehmen mit.")
    assert (first.dateline, first.agencies, first.language) == ("BERLIN", ["DPA"], "de")
    assert (first.published_at, first.updated_at) == ("2026-01-24T09:15:00Z", "2026-01-24T10:00:00Z")
    assert first.url == "https://example.de/bahn"  # rel=alternate, not the enclosure
    assert (second.published_at, second.updated_at, second.language) == (
        "2026-01-24T08:00:00Z", None, "en")


def test_ninjs_1x():
    fmt, _, (item,), _ = parse_file("ninjs-1x.json")
    assert fmt == "ninjs"
    assert item.headline == "Kabinet presenteert plannen voor woningbouw"
    assert item.body == ("Het kabinet heeft dinsdag plannen gepresenteerd voor de bouw van "
                         "één miljoen woningen. De oppositie is kritisch.")
    assert (item.dateline, item.places, item.agencies) == ("DEN HAAG", ["The Hague"], ["ANP"])  # gazetteer name
    assert (item.published_at, item.updated_at) == ("2026-01-24T09:00:00Z", "2026-01-24T10:30:00Z")
    assert (item.revision, item.language) == (3, "nl")


def test_ninjs_2x_array_keeps_good_elements():
    _, result, (first, second), _ = parse_file("ninjs-2x-array.json")
    assert [r for r, _ in result.errors] == ["ninjs element is a JSON str"]
    assert first.headline == "Storm closes ports in Greece"  # role=main, not the sub headline
    assert first.body == "A storm closed ports across Greece on Saturday."  # text/plain preferred
    assert (first.dateline, first.agencies, first.language) == ("ATHENS", ["AP"], "en")
    assert first.published_at == "2026-01-24T14:02:28Z" and first.revision == 1
    assert second.published_at == "2026-01-24T17:00:00Z" and second.language == "en"


def test_newsml_inline_xml_and_inline_data():
    fmt, _, (fr, nl), _ = parse_file("newsml-inlinexml.xml")
    assert fmt == "newsml"
    assert fr.guid == "urn:newsml:example.com:20260124:g2a" and fr.revision == 2
    assert fr.body == "Les transports parisiens sont perturbés samedi par une grève. La direction appelle au dialogue."
    assert (fr.dateline, fr.places, fr.agencies, fr.language) == ("PARIS", ["Paris"], ["AFP"], "fr")
    assert (fr.published_at, fr.updated_at) == ("2026-01-24T11:10:00Z", "2026-01-24T11:40:00Z")
    assert nl.body.startswith("Brussel krijgt in 2027")
    assert (nl.dateline, nl.agencies, nl.language) == ("BRUSSEL", ["BELGA"], "nl")
    assert nl.published_at == "2026-01-24T08:00:00Z"  # naive time read in Europe/Amsterdam


def test_jsonl_backfill():
    fmt, result, records, invalid = parse_file("backfill.jsonl", source_tz="America/New_York")
    assert fmt == "jsonl"
    assert [r for r, _ in result.errors] == [
        "line 3: malformed JSON: invalid literal, expected 'null': line 1 column 1 (char 0)"]
    first, second = records
    assert (first.source, first.guid, first.url) == ("archive-nl", "bf-1", "https://example.nl/1")
    assert first.published_at == "2025-11-02T07:00:00Z"
    assert (second.guid, second.source) == ("42", "test")
    assert second.published_at == "2025-11-02T14:30:00Z"  # naive, New York (EST)
    assert (second.dateline, second.agencies) == ("WASHINGTON", ["AP", "RTR"])
    assert invalid == ["unparseable published_at date 'the day after tomorrow'"]


def test_english_html_listing_labels_before_items():
    fmt, result, records, _ = parse_file("listing-english.html", source="world")
    assert fmt == "listing" and result.errors == []
    lead, london, paris, rome = records
    assert lead.headline == "Ceasefire holds in the north"
    assert lead.body.endswith("no major fighting was reported.")
    assert (london.published_at, london.agencies) == ("2026-01-24T17:00:00Z", ["PA"])
    assert (paris.published_at, paris.dateline) == ("2026-01-24T12:00:00Z", "PARIS")
    assert rome.published_at == "2026-01-23T17:04:00Z"  # yesterday 18:04 Amsterdam
    assert rome.body == "Italy’s parliament passed the budget after a late-night vote."
    assert all(r.language == "en" for r in records)


def test_cp1252_listing_is_read_and_noted():
    _, result, (lead, item), _ = parse_file("listing-cp1252.txt", source="anp-binnenland")
    assert result.notes == ["listing page is not valid UTF-8; undecodable bytes read as cp1252"]
    assert "café" in lead.body and lead.headline == "Kop van het stuk"
    assert "een é en daarna gewoon UTF-8: été" in item.body
    assert item.published_at == "2026-01-22T17:00:00Z"
