"""A fake Reader for the dashboard: answers the dashboard's queries from Python lists."""

from __future__ import annotations

import re

import pytest


def story(story_id: str, headline: str, items: list[dict], places=(), agencies=("ANP",), languages=("nl",)):
    times = [i["published_at"] for i in items]
    return {"story_id": story_id, "version": len(items), "headline": headline, "item_count": len(items),
            "first_published_at": min(times), "last_published_at": max(times), "places": list(places),
            "agencies": list(agencies), "languages": list(languages), "_items": items}


def item(item_id: str, at: str, headline: str, relation: str = "update", source: str = "anp",
         language: str = "nl", places=("Minneapolis",), score: float = 0.5):
    return {"item_id": item_id, "relation": relation, "score": score, "published_at": at, "headline": headline,
            "source": source, "dateline": "MINNEAPOLIS", "agencies": ["ANP"], "places": list(places),
            "language": language, "story_version": 1, "body": f"body of {item_id}",
            "evidence": '{"similarity": 0.42, "shared_places": ["minneapolis"]}'}


class FakeReader:
    def __init__(self, stories: list[dict]):
        self.stories = stories
        self.fingerprints: list[str] = []  # consumed one per fingerprint query; last one sticks
        self.changed: list[str] = []
        self.queries: list[str] = []
        self.fail: Exception | None = None

    def query(self, sql: str, parameters: dict | None = None):
        p = parameters or {}
        self.queries.append(sql)
        if self.fail is not None:
            raise self.fail
        if "UNION ALL" in sql:
            rows = []
            for s in self.stories:
                for i in s["_items"]:
                    rows += [["source", i["source"], 1], ["language", i["language"], 1]]
                    rows += [["place", p_, 1] for p_ in i["places"]]
            return ["kind", "value", "n"], rows
        if "count() AS n" in sql:
            fp = self.fingerprints.pop(0) if len(self.fingerprints) > 1 else (self.fingerprints or ["0:"])[0]
            n, last = fp.split(":", 1)
            return ["n", "last"], [[int(n), last]]
        if "SELECT DISTINCT story_id" in sql:
            return ["story_id"], [[s] for s in self.changed]
        if "stories_latest" in sql:
            cols = ["story_id", "version", "headline", "item_count", "first_published_at", "last_published_at",
                    "places", "agencies", "languages"]
            found = [s for s in self.stories if self._match(s, sql, p)]
            found.sort(key=lambda s: (s["last_published_at"], s["story_id"]), reverse=True)
            return cols, [[s[c] for c in cols] for s in found[: p.get("limit", 1000)]]
        if "story_timeline" in sql:
            cols = [c.strip() for c in re.search(r"SELECT(.*?)FROM", sql, re.S).group(1).split(",")]
            ids = p.get("ids") or [p.get("story_id")]
            rows = []
            for s in self.stories:
                if s["story_id"] in ids:
                    for i in sorted(s["_items"], key=lambda i: (i["published_at"], i["item_id"])):
                        rows.append([s["story_id"] if c == "story_id" else i[c] for c in cols])
            return cols, rows
        raise AssertionError(f"unexpected query: {sql}")

    @staticmethod
    def _match(s: dict, sql: str, p: dict) -> bool:
        if "story_id = {story_id" in sql:
            return s["story_id"] == p["story_id"]
        if "language" in p and p["language"] not in s["languages"]:
            return False
        if "place" in p and p["place"] not in s["places"]:
            return False
        return not ("source" in p and all(i["source"] != p["source"] for i in s["_items"]))


@pytest.fixture
def sample_stories() -> list[dict]:
    return [
        story("minneapolis", "Man shot in Minneapolis", [
            item("m3", "2026-01-24T16:46:00Z", "Walz wants state-led inquiry", "update"),
            item("m1", "2026-01-24T12:00:00Z", "Man shot by federal agents", "new"),
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
