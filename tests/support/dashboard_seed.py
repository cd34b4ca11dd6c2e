"""A small newsroom in chdb for the dashboard's SQL tests: visible, embargoed, withdrawn items,
a search target in a body only, an old story, evidence with competitors, and dead letters.

Stored the way the sink stores them: story events and dead letters go through the sink's own
row builders (processors/sink/rows.py) and writer, so the dashboard's SQL is tested against
the rows it will really read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.sink.rows import decode_story_event, rows_for_dead_letter, rows_for_story_event
from schemas.models import DeadLetter, StoryEvent, StorySnapshot, WireItem, dumps
from wirecore.clickhouse import ClickHouseWriter, TableInsert

DB = "wirestream"
BAD_INPUT = b"<item><headline>broken \xff"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seed(client, now: datetime | None = None) -> datetime:
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    h = timedelta(hours=1)
    minute = timedelta(minutes=1)
    raw_ms = int((now - timedelta(seconds=3)).timestamp() * 1000)
    versions: dict[str, int] = {}

    def event(iid, story, rel, pub, headline, body="", places=("Minneapolis",), language="nl", source="anp",
              status="usable", embargo=None, url=None, evidence=None) -> bytes:
        item = WireItem(
            item_id=iid, guid=f"g-{iid}", source=source, format="jsonl", headline=headline, body=body,
            dateline=None, places=list(places), agencies=["ANP"], language=language, published_at=_iso(pub),
            updated_at=None, fetched_at=_iso(now), url=url, revision=0, content_hash=f"h-{iid}",
            status=status, embargoed_until=_iso(embargo) if embargo else None)
        versions[story] = versions.get(story, 0) + 1
        snap = StorySnapshot(story_id=story, version=versions[story], headline=headline,
                             first_published_at=_iso(pub), last_published_at=_iso(pub), item_count=versions[story],
                             places=list(places), agencies=["ANP"], languages=[language])
        return dumps(StoryEvent(item=item, story_id=story, relation=rel, score=0.8 if rel == "update" else 0.0,
                                evidence=evidence or {"candidates": 0}, story=snap, raw_timestamp_ms=raw_ms))

    events = [
        event("m1", "mpls", "new", now - 5 * h, "Man shot by federal agents in Minneapolis",
              "Federal agents shot a man in Minneapolis on Saturday.", url="https://example.org/m1"),
        event("m2", "mpls", "update", now - 3 * h, "Shot man has died", "The man shot in Minneapolis has died.",
              evidence={"story_id": "mpls", "similarity": 0.61, "time_gap_hours": 2.0,
                        "shared_places": ["minneapolis"], "shared_terms": ["shot", "minneapolis"], "candidates": 3}),
        event("m3", "mpls", "update", now - 20 * minute, "Walz wants state-led inquiry",
              "Governor Walz announced an inquiry into the shooting in Minneapolis.",
              evidence={"story_id": "mpls", "similarity": 0.34, "time_gap_hours": 2.7,
                        "shared_places": ["minneapolis"], "shared_terms": ["shooting", "minneapolis"],
                        "candidates": 2}),
        event("e1", "mpls", "update", now - 10 * minute, "EMBARGOED headline", "secret", embargo=now + 2 * h),
        event("w1", "mpls", "update", now - 9 * minute, "WITHDRAWN headline", "wrong", status="withdrawn"),
        event("p1", "moscow", "new", now - 2 * h, "Putin rules out alliance",
              "Moscow said no pact with the zebrafinch committee.", places=("Moskou",), language="en",
              source="reuters"),
        event("x1", "hidden", "new", now - 1 * h, "Canceled story", "never", status="canceled"),
        event("o1", "old", "new", now - 400 * 24 * h, "Old story from last year", "archive", places=("London",),
              language="en"),
        event("n1", "nearby", "new", now - 4 * h, "Protest in Minneapolis", "Crowds gathered in Minneapolis."),
    ]
    letters = [
        (7, DeadLetter(stage="parse", reason="unparseable xml: no closing tag", origin_topic="wire.raw",
                       origin_partition=1, origin_offset=42, original=BAD_INPUT, headers={"source": "anp"},
                       failed_at=_iso(now - 10 * minute))),
        (3, DeadLetter(stage="parse", reason="too old", origin_topic="wire.raw", origin_partition=0,
                       origin_offset=5, original=b"x", failed_at=_iso(now - 3 * h))),
    ]
    tables: dict[str, list[dict]] = {}
    for value in events:
        for table, rows in rows_for_story_event(decode_story_event(value)).items():
            tables.setdefault(table, []).extend(rows)
    for offset, dl in letters:
        for table, rows in rows_for_dead_letter(dumps(dl), "wire.dlq", 0, offset).items():
            tables.setdefault(table, []).extend(rows)
    ClickHouseWriter(client, DB).write([TableInsert(t, rows) for t, rows in tables.items()],
                                       token=f"dashboard-seed-{now.timestamp()}")
    return now
