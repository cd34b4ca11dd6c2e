"""A real chdb database for tests of people-facing SQL (dashboard, status, queries), seeded
through the sink's own row builders and writer — the rows the sink would have stored — so a
query is tested against ClickHouse, not against a fake that matches SQL by string.

Use from a conftest: ``from tests.support.chdb_reader import chdb_reader  # noqa: F401``; the
fixture yields ``(reader, database, seed)`` where ``seed(events)`` stores story events.
chdb hosts one data directory per process: the fixture is module-scoped and closes its
handle at teardown so other modules may open their own path afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count

import pytest

from processors.sink.rows import decode_story_event, rows_for_story_event
from wirecore.clickhouse import ClickHouseWriter, TableInsert, open_client, run_migrations
from wirestream.reader import DirectReader, Reader

DATABASE = "wirestream"
_tokens = count()


def store_story_events(writer: ClickHouseWriter, events: list[bytes]) -> None:
    """What the sink does with a batch of wire.stories values: decode, build rows, insert."""
    by_table: dict[str, list[dict]] = {}
    for value in events:
        for table, rows in rows_for_story_event(decode_story_event(value)).items():
            by_table.setdefault(table, []).extend(rows)
    writer.write([TableInsert(t, rows) for t, rows in by_table.items()], token=f"test-{next(_tokens)}")


@pytest.fixture(scope="module")
def chdb_reader(tmp_path_factory) -> Iterator[tuple[Reader, str, Callable[[list[bytes]], None]]]:
    client = open_client(f"chdb://{tmp_path_factory.mktemp('chdb-reader') / 'chdb'}")
    try:
        run_migrations(client, DATABASE)
        writer = ClickHouseWriter(client, DATABASE)
        yield DirectReader(client, DATABASE), DATABASE, lambda events: store_story_events(writer, events)
    finally:
        client.close()
