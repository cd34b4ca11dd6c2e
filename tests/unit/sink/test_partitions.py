"""INSERT blocks never exceed max_partitions_per_insert_block: runs are cut deterministically,
each named by its own offsets, and the mapping matches the DDL's PARTITION BY clauses."""

from __future__ import annotations

import re
from pathlib import Path

from processors.sink.partitions import PARTITION_COLUMNS, PARTITION_FUNCTION, cut_runs, month_of
from tests.unit.sink.sinkkit import commits, make_event, run_sink

DDL = Path(__file__).resolve().parents[3] / "schemas" / "clickhouse"


def spread(n: int) -> list[bytes]:
    """n items whose published_at walk year by year from 1900: an archive spanning three centuries
    touches 300 yearly partitions, more than one INSERT block may."""
    return [make_event(i, f"{1900 + i % 300}-{(i % 12) + 1:02d}-15T08:00:00Z") for i in range(n)]


def test_mapping_mirrors_the_ddl():
    found = {}
    for f in sorted(DDL.glob("*.sql")):  # a later migration's definition replaces an earlier one
        text = f.read_text()
        for table, key in re.findall(r"CREATE TABLE IF NOT EXISTS \{db\}\.(\w+).*?PARTITION BY ([^\n]+)", text, re.S):
            found[table] = key.strip()
    assert found == {t: f"{PARTITION_FUNCTION}({c})" for t, c in PARTITION_COLUMNS.items()}


def test_month_of_converts_offsets_to_utc():
    assert month_of("2020-12-31T23:30:00-05:00") == "2021"
    assert month_of("2020-01-31T23:30:00Z") == "2020"


def test_runs_stay_under_the_limit_and_poison_never_cuts():
    rows = [{"items": [{"published_at": f"{1900 + i}-01-01T00:00:00Z"}]} for i in range(250)]
    rows.insert(100, None)
    assert cut_runs(rows, 100) == [0, 101, 201]


def test_backfill_over_300_years_is_stored_in_full_in_runs():
    consumer, writer, _, _ = run_sink(spread(3000), rows=5000)
    assert writer.rows == {"items": 3000, "story_items": 3000, "stories": 3000}
    spans = [tuple(map(int, t.rsplit(":", 1)[1].split("-"))) for t in writer.tokens]
    assert len(spans) > 1 and [o for a, b in spans for o in range(a, b + 1)] == list(range(3000))
    assert commits(consumer) == ["commit 0 inflight:0-2999", "commit 3000"]


def test_a_replayed_tail_cuts_the_same_runs():
    """Crash after the first run was stored: the replay rebuilds the recorded range, skips what
    sink_offsets holds and names the remaining runs exactly as the first attempt did."""
    _, full, _, _ = run_sink(spread(400), rows=5000)
    first = full.tokens[0]
    last_stored = int(first.rsplit("-", 1)[1])
    _, tail, _, _ = run_sink(spread(400), {"stored_through": last_stored}, rows=5000)
    assert tail.tokens == full.tokens[1:]
