"""A fake Reader for the dashboard app: answers each query of wirestream/dashboard/data.py
(recognised by its SQL constant) from Python lists and records the bound parameters, so app
tests check the wiring. What the SQL itself selects is tested against chdb in
tests/integration/test_dashboard_sql.py."""

from __future__ import annotations

import base64

import pytest

from wirestream.dashboard import data

DB = "wirestream"


def story(story_id: str, headline: str, items: list[dict], places=(), agencies=("ANP",), languages=("nl",)):
    times = [i["published_at"] for i in items]
    return {"story_id": story_id, "headline": headline, "item_count": len(items),
            "first_published_at": min(times), "last_published_at": max(times), "places": list(places),
            "agencies": list(agencies), "languages": list(languages),
            "sources": sorted({i["source"] for i in items}), "changed_at": max(times), "_items": items}


def item(item_id: str, at: str, headline: str, relation: str = "update", source: str = "anp",
         language: str = "nl", places=("Minneapolis",), score: float = 0.5, url: str | None = None):
    return {"item_id": item_id, "relation": relation, "score": score, "published_at": at, "headline": headline,
            "source": source, "dateline": "MINNEAPOLIS", "agencies": ["ANP"], "places": list(places),
            "language": language, "story_version": 1, "body": f"body of {item_id} in Minneapolis", "url": url,
            "evidence": '{"story_id": "minneapolis", "similarity": 0.42, "time_gap_hours": 0.5, '
                        '"shared_places": ["minneapolis"], "shared_terms": ["shot"], "candidates": 4}'}


def _sql(name: str) -> str:
    return getattr(data, name).format(db=DB, where="{where}")


class FakeReader:
    def __init__(self, stories: list[dict]):
        self.stories = stories
        self.fingerprints: list[str] = []  # consumed one per fingerprint query; last one sticks
        self.changed: list[str] = []
        self.calls: list[tuple[str, dict]] = []
        self.fail: Exception | None = None
        self.dead_letters = [{"dlq_topic": "wire.dlq", "dlq_partition": 0, "dlq_offset": 7, "stage": "parse",
                              "reason": "unparseable <xml>", "origin_topic": "wire.raw", "origin_partition": 1,
                              "origin_offset": 42, "size": 5, "failed_at": "2026-01-24T16:00:00Z",
                              "original": base64.b64encode(b"\x00bad\xff").decode()}]

    def kind(self, sql: str) -> str:
        if sql.startswith(_sql("RIVER_IDS").split("{where}")[0]):
            return "RIVER_IDS"
        for name in ("FINGERPRINT", "CHANGED_SINCE", "RIVER_ITEMS", "STORY_ITEMS",
                     "STORY_HEADLINES", "NEARBY_STORIES", "FILTER_OPTIONS", "HEALTH_COUNTS", "ITEMS_PER_MINUTE",
                     "DEAD_LETTERS", "DEAD_LETTER_ORIGINAL"):
            if sql == _sql(name):
                return name
        raise AssertionError(f"not a data.py query: {sql}")

    def query(self, sql: str, parameters: dict | None = None):
        p = parameters or {}
        kind = self.kind(sql)
        self.calls.append((kind, p))
        if self.fail is not None:
            raise self.fail
        by_id = {s["story_id"]: s for s in self.stories}
        if kind == "FINGERPRINT":
            fp = self.fingerprints.pop(0) if len(self.fingerprints) > 1 else (self.fingerprints or ["0:"])[0]
            n, last = fp.split(":", 1)
            return ["n", "last"], [[int(n), last]]
        if kind == "CHANGED_SINCE":
            return ["story_id"], [[s] for s in self.changed]
        if kind == "RIVER_IDS":
            found = sorted(self.stories, key=lambda s: s["last_published_at"], reverse=True)[: p["limit"]]
            return ["story_id", "last_at"], [[s["story_id"], s["last_published_at"]] for s in found]
        if kind in ("RIVER_ITEMS", "STORY_ITEMS"):
            ids = p.get("ids") or [p.get("story_id")]
            cols = ["story_id", "item_id", "relation", "score", "evidence", "published_at", "headline", "source",
                    "story_version", "dateline", "agencies", "places", "language", "body", "url", "inserted_at"]
            rows = [[sid if c == "story_id" else i["published_at"] if c == "inserted_at" else i[c] for c in cols]
                    for sid in ids if sid in by_id
                    for i in sorted(by_id[sid]["_items"], key=lambda i: (i["published_at"], i["item_id"]))]
            if kind == "STORY_ITEMS":
                return cols[1:-1], [r[1:-1] for r in rows]
            return cols, rows
        if kind == "STORY_HEADLINES":
            return ["story_id", "headline"], [[i, by_id[i]["headline"]] for i in p["ids"] if i in by_id]
        if kind == "NEARBY_STORIES":
            other = next(s for s in self.stories if s["story_id"] != p["story_id"])
            return ["item_id", "story_id", "headline", "items"], [
                [i["item_id"], other["story_id"], other["headline"], other["item_count"]]
                for i in by_id[p["story_id"]]["_items"]]
        if kind == "FILTER_OPTIONS":
            rows = []
            for s in self.stories:
                for i in s["_items"]:
                    rows += [["source", i["source"], 1], ["language", i["language"], 1]]
                    rows += [["place", p_, 1] for p_ in i["places"]]
            return ["kind", "value", "n"], rows
        if kind == "HEALTH_COUNTS":
            return ["dead_letters_1h", "items_last_minute"], [[len(self.dead_letters), 2]]
        if kind == "ITEMS_PER_MINUTE":
            return ["minute", "n"], []
        if kind == "DEAD_LETTERS":
            return list(self.dead_letters[0])[:-1], [list(d.values())[:-1] for d in self.dead_letters]
        if kind == "DEAD_LETTER_ORIGINAL":
            return ["original"], [[d["original"]] for d in self.dead_letters if d["dlq_offset"] == p["offset"]]
        raise AssertionError(kind)


@pytest.fixture
def sample_stories() -> list[dict]:
    return [
        story("minneapolis", "Walz wants state-led inquiry", [
            item("m3", "2026-01-24T16:46:00Z", "Walz wants state-led inquiry", "update"),
            item("m1", "2026-01-24T12:00:00Z", "Man shot by federal agents", "new", url="https://anp.nl/m1"),
            item("m2", "2026-01-24T14:00:00Z", "Shot man has died", "update"),
            item("m2b", "2026-01-24T14:05:00Z", "Shot man has died", "duplicate", source="afp"),
        ], places=["Minneapolis"], agencies=["ANP", "AFP"]),
        story("moskou", "Poetin: no alliance with China", [
            item("p1", "2026-01-24T15:00:00Z", "Poetin: no alliance", "new", places=("Moskou",)),
        ], places=["Moskou"]),
        story("london", "UK soldiers praised", [
            item("u1", "2026-01-24T13:00:00Z", "Trump praises British soldiers", "new", source="reuters",
                 language="en", places=("London",)),
        ], places=["London"], languages=["en"]),
    ]


@pytest.fixture
def fake_reader(sample_stories) -> FakeReader:
    reader = FakeReader(sample_stories)
    reader.fingerprints = ["5:2026-01-24 16:50:00.000"]
    return reader
