"""A small newsroom in chdb for the dashboard's SQL tests: visible, embargoed, withdrawn items,
a search target in a body only, an old story, evidence with competitors, and dead letters."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from processors.sink.rows import DLQ_COLUMNS, ITEM_COLUMNS, STORY_COLUMNS, STORY_ITEM_COLUMNS

DB = "wirestream"
BAD_INPUT = b"<item><headline>broken \xff"


def seed(client, now: datetime | None = None) -> datetime:
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    h = timedelta(hours=1)
    raw_at = now - timedelta(seconds=3)

    def item(iid, story, rel, pub, headline, body="", places=("Minneapolis",), language="nl", source="anp",
             status="usable", embargo=None, url=None):
        return [iid, f"g-{iid}", source, "jsonl", headline, body, None, list(places), ["ANP"], language, pub,
                None, now, url, 0, f"h-{iid}", story, rel, raw_at, status, embargo, None, []]

    items = [
        item("m1", "mpls", "new", now - 5 * h, "Man shot by federal agents in Minneapolis",
             "Federal agents shot a man in Minneapolis on Saturday.", url="https://example.org/m1"),
        item("m2", "mpls", "update", now - 3 * h, "Shot man has died", "The man shot in Minneapolis has died."),
        item("m3", "mpls", "update", now - 20 * timedelta(minutes=1), "Walz wants state-led inquiry",
             "Governor Walz announced an inquiry into the shooting in Minneapolis."),
        item("e1", "mpls", "update", now - 10 * timedelta(minutes=1), "EMBARGOED headline", "secret",
             embargo=now + 2 * h),
        item("w1", "mpls", "update", now - 9 * timedelta(minutes=1), "WITHDRAWN headline", "wrong",
             status="withdrawn"),
        item("p1", "moscow", "new", now - 2 * h, "Putin rules out alliance", "Moscow said no pact with the "
             "zebrafinch committee.", places=("Moskou",), language="en", source="reuters"),
        item("x1", "hidden", "new", now - 1 * h, "Canceled story", "never", status="canceled"),
        item("o1", "old", "new", now - 400 * 24 * h, "Old story from last year", "archive", places=("London",),
             language="en"),
        item("n1", "nearby", "new", now - 4 * h, "Protest in Minneapolis", "Crowds gathered in Minneapolis."),
    ]
    evidence = {
        "m2": {"story_id": "mpls", "similarity": 0.61, "time_gap_hours": 2.0, "shared_places": ["minneapolis"],
               "shared_terms": ["shot", "minneapolis"], "candidates": 3},
        "m3": {"story_id": "mpls", "similarity": 0.34, "time_gap_hours": 2.7, "shared_places": ["minneapolis"],
               "shared_terms": ["shooting", "minneapolis"], "candidates": 2},
    }
    story_items = [[r[16], r[0], r[17], 0.8 if r[17] == "update" else 0.0,
                    json.dumps(evidence.get(r[0], {"candidates": 0})), r[10], r[4], r[2], 1] for r in items]
    stories = [[r[16], n + 1, r[4], r[10], r[10], 1, list(r[7]), ["ANP"], [r[9]], r[0], r[17]]
               for n, r in enumerate(items)]
    dlq = [["wire.dlq", 0, 7, "parse", "unparseable xml: no closing tag", "wire.raw", 1, 42,
            base64.b64encode(BAD_INPUT).decode(), {"source": "anp"}, now - timedelta(minutes=10)],
           ["wire.dlq", 0, 3, "parse", "too old", "wire.raw", 0, 5, base64.b64encode(b"x").decode(), {},
            now - 3 * h]]
    client.insert(f"{DB}.items", items, column_names=list(ITEM_COLUMNS))
    client.insert(f"{DB}.story_items", story_items, column_names=list(STORY_ITEM_COLUMNS))
    client.insert(f"{DB}.stories", stories, column_names=list(STORY_COLUMNS))
    client.insert(f"{DB}.dlq", dlq, column_names=list(DLQ_COLUMNS))
    return now
