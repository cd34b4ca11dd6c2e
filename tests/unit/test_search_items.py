"""wirestream query search: the rows of `ORDER BY published_at DESC, item_id LIMIT 1 BY item_id
LIMIT n`, from SQL that reads in items' own order and stops after `fetch` rows (no database:
a fake reader answers the SQL the way ClickHouse would)."""

from __future__ import annotations

import random

from wirestream.queries import QUERIES, search_items


class FakeItems:
    """Matching rows (published_at, source, story_id, item_id, headline, content_hash), answered
    in the search SQL's order: published_at descending, rows of one instant in any order (a
    shuffle, as ClickHouse reading several parts may give them)."""

    def __init__(self, rows: list[tuple], seed: int = 0):
        self.rows = rows
        self.fetches: list[int] = []
        self.rng = random.Random(seed)

    def query(self, sql: str, params: dict):
        assert sql == QUERIES["search"].sql.replace("{db}", "news")
        self.fetches.append(params["fetch"])
        shuffled = self.rows[:]
        self.rng.shuffle(shuffled)
        ordered = sorted(shuffled, key=lambda r: r[0], reverse=True)
        return ["published_at", "source", "story_id", "item_id", "headline", "content_hash"], [
            list(r) for r in ordered[: params["fetch"]]]

    def expected(self, limit: int) -> list[tuple[str, str]]:
        seen, out = set(), []
        by_item = sorted(self.rows, key=lambda r: r[3])
        for r in sorted(by_item, key=lambda r: r[0], reverse=True):  # stable: ties stay by item_id
            if r[3] not in seen:
                seen.add(r[3])
                out.append((r[0], r[3]))
        return out[:limit]


def at(minute: int) -> str:
    return f"2026-01-24T{minute // 60:02d}:{minute % 60:02d}:00Z"


def test_each_item_once_by_its_newest_version_ties_by_item_id():
    rows = [(at(10), "anp", "S", "b", "B", "h1"), (at(10), "anp", "S", "a", "A", "h1"),
            (at(10), "anp", "S", "a", "A2", "h2"), (at(9), "anp", "S", "c", "C", "h1"),
            (at(5), "anp", "S", "b", "B old", "h0")]
    reader = FakeItems(rows)
    cols, found = search_items(reader, "news", "x", "2000-01-01", 2)
    assert [r[3] for r in found] == ["a", "b"] and found[0][4] == "A2"  # a's newest: highest hash
    assert cols == ["published_at", "source", "story_id", "item_id", "headline"] and len(found[0]) == 5
    _, found = search_items(reader, "news", "x", "2000-01-01", 10)
    assert [r[3] for r in found] == ["a", "b", "c"] and [r[0] for r in found][-1] == at(9)


def test_many_versions_or_one_crowded_instant_widen_the_fetch():
    # 30 versions of one item, then 40 items at one instant: the first fetch (15 rows) is all
    # versions of `v`; the next one ends inside the crowded instant and is cut back to before it,
    # the last one has every row
    rows = [(at(50), "anp", "S", "v", f"V{n}", f"h{n:02d}") for n in range(30)]
    rows += [(at(40), "afp", "T", f"i{n:02d}", "I", "h") for n in range(40)]
    reader = FakeItems(rows)
    _, found = search_items(reader, "news", "x", "2000-01-01", 5)
    assert [r[3] for r in found] == ["v", "i00", "i01", "i02", "i03"]
    assert reader.fetches == [15, 60, 240]


def test_random_rows_match_limit_by():
    rng = random.Random(7)
    for _ in range(200):
        rows = [(at(rng.randrange(30)), "anp", "S", f"i{rng.randrange(25):02d}", "H", f"h{rng.randrange(3)}")
                for _ in range(rng.randrange(1, 120))]
        reader = FakeItems(rows, seed=rng.randrange(1000))
        limit = rng.choice([1, 3, 10, 50])
        _, found = search_items(reader, "news", "x", "2000-01-01", limit)
        assert [(r[0], r[3]) for r in found] == reader.expected(limit)
