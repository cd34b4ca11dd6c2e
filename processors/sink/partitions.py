"""Keep every INSERT block within ClickHouse's ``max_partitions_per_insert_block``.

A backfill whose items span 20 years touches ~240 monthly partitions; ClickHouse refuses
such a block with code 252 *every* time, so retrying the batch can never succeed. The store
therefore cuts a batch into contiguous runs of messages whose rows touch at most ``limit``
partitions in every table. Runs are found greedily from the batch's first offset, so a
replay of the same range (or of its not-yet-stored tail) cuts the same runs, each named by
its own offsets: tokens and ``sink_offsets`` rows stay deterministic.

``PARTITION_COLUMNS`` is the one place that mirrors the ``PARTITION BY`` clauses in
schemas/clickhouse/*.sql (``toYear(column)`` since migration 008; the latest definition of a
table wins); tests/unit/sink/test_partitions.py fails if the DDL and this mapping disagree.
Tables not listed are not partitioned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

PARTITION_COLUMNS: dict[str, str] = {  # table -> column of PARTITION BY <PARTITION_FUNCTION>(column)
    "items": "published_at",
    "story_items": "published_at",
    "stories": "last_published_at",
    "dlq": "failed_at",
}
PARTITION_FUNCTION = "toYear"
KEY_LENGTH = {"toYear": 4, "toYYYYMM": 7}[PARTITION_FUNCTION]  # prefix of a UTC ISO time
DEFAULT_LIMIT = 100  # ClickHouse's default max_partitions_per_insert_block


def month_of(value: str | None) -> str:
    """The partition key of an ISO-8601 time in UTC (``YYYY`` for toYear), cheap for UTC strings."""
    if not value:
        return ""
    if value.endswith("Z") or value.endswith("+00:00") or len(value) <= 10:
        return value[:KEY_LENGTH]
    dt = datetime.fromisoformat(value)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m")[:KEY_LENGTH]


def partitions_of(rows: dict[str, list[dict]]) -> list[tuple[str, str]]:
    """(table, month) pairs one message's rows write to."""
    out = []
    for table, table_rows in rows.items():
        column = PARTITION_COLUMNS.get(table)
        if column is not None:
            out.extend((table, month_of(r.get(column))) for r in table_rows)
    return out


def _months_per_table(rows_per_message: Sequence[dict[str, list[dict]] | None]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for table, column in PARTITION_COLUMNS.items():
        values = {r.get(column) for rows in rows_per_message if rows for r in rows.get(table, ())}
        out[table] = {v[:KEY_LENGTH] if v and v[-1] == "Z" else month_of(v) for v in values}
    return out


def cut_runs(rows_per_message: Sequence[dict[str, list[dict]] | None], limit: int = DEFAULT_LIMIT) -> list[int]:
    """Start indexes of runs such that no run's rows touch more than ``limit`` partitions of
    any one table. ``None`` entries (poison, no rows) never start or force a cut."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if all(len(ms) <= limit for ms in _months_per_table(rows_per_message).values()):
        return [0]  # the common case: one block per table, checked in one cheap pass
    starts = [0]
    seen: dict[str, set[str]] = {}
    for i, rows in enumerate(rows_per_message):
        if not rows:
            continue
        pairs = partitions_of(rows)
        if any(m not in seen.get(t, ()) and len(seen.get(t, ())) >= limit for t, m in pairs):
            starts.append(i)
            seen = {}
        for t, m in pairs:
            seen.setdefault(t, set()).add(m)
    return starts
