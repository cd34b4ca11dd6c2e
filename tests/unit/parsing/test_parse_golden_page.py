"""Golden test: the shared ANP "Buitenland" page, fetched at 2026-01-24T18:00:00+01:00."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

import schemas
from processors.parsing import parse_raw_item
from producers.formats import detect_format, split_document

REPO = Path(__file__).resolve().parents[3]
PAGE = REPO / "../shared/data/anp-buitenland-page.txt"
EXPECTED = REPO / "tests/fixtures/formats/anp-buitenland-page.expected.json"
FETCHED_AT = "2026-01-24T18:00:00+01:00"
NOW = datetime(2026, 1, 24, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def records() -> list[dict]:
    data = PAGE.read_bytes()
    result = split_document(data, detect_format(data, filename=PAGE.name),
                            source="anp-buitenland", fetched_at=FETCHED_AT)
    assert result.errors == []
    return [parse_raw_item(i.payload, i.meta, now=NOW).to_dict() for i in result.items]


def test_eight_records_with_the_right_ages(records):
    got = [(r["published_at"], r["dateline"], r["agencies"], r["headline"][:40]) for r in records]
    assert got == [
        ("2026-01-24T17:00:00Z", "MOSKOU", ["ANP", "RTR"], "Poetin: we bouwen niet aan een militair "),
        ("2026-01-24T16:46:00Z", "MINNEAPOLIS", ["ANP", "AFP"], "De gouverneur van Minnesota, Tim Walz, w"),
        ("2026-01-24T16:02:00Z", "MINNEAPOLIS", ["ANP"], "De federale agent die zaterdag in Minnea"),
        ("2026-01-24T16:00:00Z", "WASHINGTON", ["ANP"], "Donald Trump heeft woedend gereageerd op"),
        ("2026-01-24T14:00:00Z", "WASHINGTON", ["ANP", "RTR"], "President Donald Trump heeft Britse sold"),
        ("2026-01-24T14:00:00Z", "WASHINGTON/ABU DHABI", ["ANP", "AFP"],
         "De volgende ronde van gesprekken tussen "),
        ("2026-01-24T13:00:00Z", "MINNEAPOLIS", ["ANP"], "De man die zaterdagochtend (lokale tijd)"),
        ("2026-01-24T12:00:00Z", "MINNEAPOLIS", ["ANP", "AFP", "RTR"],
         "In de stad Minneapolis is een man neerge"),
    ]


def test_lead_and_feed_item_shapes(records):
    lead, governor, *_ = records
    assert lead["headline"] == "Poetin: we bouwen niet aan een militair bondgenootschap met China"
    assert lead["body"].startswith("De Russische president Vladimir Poetin zegt niet aan")
    assert lead["body"].endswith("zegt de legerleiding.")
    assert "Meer uit Buitenland" not in lead["body"]
    assert governor["headline"] == (
        "De gouverneur van Minnesota, Tim Walz, wil dat zijn staat het onderzoek leidt naar "
        "de dodelijke schietpartij in Minneapolis van zaterdag")
    assert governor["body"].endswith("niet toe aan de federale overheid.")
    assert "geleden" not in governor["body"]
    assert records[5]["places"] == ["Washington", "Abu Dhabi"]
    for r in records:
        assert r["language"] == "nl"
        assert r["fetched_at"] == "2026-01-24T17:00:00Z"
        assert r["format"] == "listing" and r["source"] == "anp-buitenland"
        assert len(r["headline"]) <= 161 and "  " not in r["body"]
        assert r["revision"] == 0 and r["updated_at"] is None
    assert len({r["item_id"] for r in records}) == 8


def test_every_field_matches_the_golden_file(records):
    assert records == orjson.loads(EXPECTED.read_bytes())


def test_records_validate_against_the_schema(records):
    validator = schemas.validator("wire_item")
    for r in records:
        assert list(validator.iter_errors(r)) == []


def test_republishing_the_page_later_gives_the_same_keys_and_ids():
    data = PAGE.read_bytes()
    first = split_document(data, "listing", source="anp-buitenland", fetched_at=FETCHED_AT)
    later_page = data.replace(b"14 minuten geleden", b"24 minuten geleden")
    later = split_document(later_page, "listing", source="anp-buitenland",
                           fetched_at="2026-01-24T18:10:00+01:00")
    assert [i.key for i in first.items] == [i.key for i in later.items]
    a = parse_raw_item(first.items[1].payload, first.items[1].meta, now=NOW)
    b = parse_raw_item(later.items[1].payload, later.items[1].meta, now=NOW)
    assert (a.item_id, a.content_hash, a.published_at) == (b.item_id, b.content_hash, b.published_at)
