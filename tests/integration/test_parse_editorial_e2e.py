"""Through the real broker, worker and sink (issues 9.3, 12.5): editorial status reaches the
``items`` table, and an item dated year 1 is dead-lettered at *parse* while the valid updates
about the same event are stored (before, the sink refused the story row and took every later
member of the story down with it)."""

from __future__ import annotations

import base64

import orjson
import pytest

from producers.publisher import RawPublisher
from schemas.models import RawItem, RawMeta
from tests.support.storykit import read_topic
from wirecore.settings import load_settings
from wirestream.reader import open_reader
from wirestream.up import Pipeline

pytestmark = pytest.mark.integration
FETCHED = "2026-01-24T18:00:00+01:00"


def ninjs(key: str, **fields) -> RawItem:
    payload = orjson.dumps({"uri": key, "language": "nl", **fields})
    return RawItem(key=key, payload=payload,
                   meta=RawMeta(source="anp-ninjs", format="ninjs", fetched_at=FETCHED))


def test_year_one_dead_lettered_at_parse_and_editorial_status_stored(ws_env):
    s = load_settings()
    body = "MINNEAPOLIS (ANP) - Bij een schietpartij in Minneapolis is een man om het leven gekomen."
    year_one = ninjs("y1", firstcreated="0001-01-01T00:00:00Z", headline="Schietpartij Minneapolis",
                     body_text=body)
    first = ninjs("u1", firstcreated="2026-01-24T12:00:00Z", headline="Schietpartij Minneapolis",
                  body_text=body, urgency=2, subjects=[{"name": "misdaad"}])
    update = ninjs("u2", firstcreated="2026-01-24T13:00:00Z", headline="Schietpartij Minneapolis: "
                   "gouverneur wil onderzoek", body_text=body + " De gouverneur wil een onderzoek.",
                   embargoed="2026-01-24T14:00:00Z")
    killed = ninjs("k1", firstcreated="2026-01-24T13:30:00Z", pubstatus="canceled",
                   headline="KILL: Schietpartij", body_text="Dit bericht is ingetrokken.")
    pipeline = Pipeline(s)
    try:
        pipeline.start(log=lambda m: None)
        report = RawPublisher(s).publish([year_one, first, update, killed])
        assert report.published == 4 and not report.failed
        pipeline.wait_drained(120)
        reader = open_reader(s)
        _, rows = reader.query(
            f"SELECT guid, status, toString(embargoed_until), urgency, subjects, places "
            f"FROM {s.clickhouse_database}.items FINAL ORDER BY guid")
        _, dlq = reader.query(f"SELECT stage, reason FROM {s.clickhouse_database}.dlq FINAL")
    finally:
        pipeline.stop()

    assert [tuple(r) for r in rows] == [
        ("k1", "canceled", None, None, [], []),
        ("u1", "usable", None, 2, ["misdaad"], ["Minneapolis"]),
        ("u2", "usable", "2026-01-24 14:00:00.000", None, [], ["Minneapolis"]),
    ]
    assert [tuple(r) for r in dlq] == [
        ("parse", "firstcreated date 0001-01-01 is outside the storable range 1900-01-01 .. 2299-12-31")]
    letters = [orjson.loads(v) for v in read_topic(s, s.topic("dlq"))]
    assert [base64.b64decode(dl["original"]) for dl in letters] == [year_one.payload]
