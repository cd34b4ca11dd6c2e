"""Parse a fixture file the way the pipeline does (split, then parse every item)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from processors.parsing import parse_raw_item
from producers.formats import detect_format, split_document
from schemas.models import InvalidItem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
FETCHED_AT = "2026-01-24T18:00:00+01:00"
NOW = datetime(2026, 1, 24, 17, tzinfo=UTC)


def parse_file(name: str, source: str = "test", source_tz: str | None = "Europe/Amsterdam"):
    data = (FIXTURES / name).read_bytes()
    fmt = detect_format(data, filename=name)
    result = split_document(data, fmt, source=source, fetched_at=FETCHED_AT, source_tz=source_tz)
    records, invalid = [], []
    for item in result.items:
        try:
            records.append(parse_raw_item(item.payload, item.meta, now=NOW))
        except InvalidItem as exc:
            invalid.append(exc.reason)
    return fmt, result, records, invalid
