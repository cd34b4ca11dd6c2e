"""Store one batch: skip what is already stored, dead-letter poison, insert in partition-safe
runs, and isolate rows ClickHouse refuses by bisection. Always retried, never skipped.

Against two small protocols (``Writer``, ``DeadLetterWriter``), so the same code runs with
ClickHouse + Kafka in production and in-memory fakes in tests and the bench. A range named
``topic:partition:first-last`` is one token for every table; a run or a bisected half is
named by its own offsets, and tables stored in full before a refusal are ``skip``ped by the
halves, so splitting never stores a row twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from processors import metrics
from processors.sink.batch import Batch, Message, span_token
from processors.sink.decode import decode_messages
from processors.sink.partitions import DEFAULT_LIMIT, cut_runs
from processors.sink.retrier import Retrier
from processors.sink.state import PartitionState
from wirecore.clickhouse import InsertRejected, TableInsert


class Writer(Protocol):
    def stored_through(self, topic: str, partition: int) -> int: ...

    def write(self, inserts: list[TableInsert], token: str, progress: tuple[str, int, int, int] | None = None,
              skip: frozenset[str] = frozenset()) -> None: ...


class DeadLetterWriter(Protocol):
    def send(self, topic: str, partition: int, msg: Message, reason: str) -> None:
        """Queue a dead letter for ``msg`` (a no-op for messages of the dead-letter topic)."""

    def flush(self) -> None:
        """Make queued dead letters durable; raise ``TransientError`` if they are not yet."""


Rows = dict[str, list[dict]]


class BatchStore:
    def __init__(self, writer_factory: Callable[[], Writer], dead_letters: DeadLetterWriter, retrier: Retrier,
                 dlq_topic: str, max_partitions: int = DEFAULT_LIMIT) -> None:
        self._factory, self._writer = writer_factory, None
        self.dead_letters, self.retrier, self.dlq_topic = dead_letters, retrier, dlq_topic
        self.max_partitions = max_partitions
        self.rows_written = 0

    def _call(self, what: str, action: Callable[[Writer], object]):
        def attempt():
            if self._writer is None:
                self._writer = self._factory()
            return action(self._writer)
        return self.retrier.run(attempt, what)

    def store(self, st: PartitionState, batch: Batch) -> list[int]:
        """Store ``batch``; returns the raw timestamps of its events (freshness)."""
        topic, partition = batch.topic, batch.partition
        if st.stored_through is None:
            st.stored_through = self._call("read sink_offsets", lambda w: w.stored_through(topic, partition))
        done = st.stored_through
        messages = [m for m in batch.messages if m.offset > done]  # replay: the rest only
        if not messages:
            return []
        decoded = decode_messages(messages, topic, partition, topic == self.dlq_topic)
        poison = decoded.poison()
        for m, why in poison:
            self.dead_letters.send(topic, partition, m, why)
        if poison:  # the batch is not committed until its poison is safe
            self.retrier.run(self.dead_letters.flush, "write dead letters")
        starts = cut_runs(decoded.rows, self.max_partitions)
        for a, b in zip(starts, [*starts[1:], len(messages)], strict=True):
            good = [(m, r) for m, r in zip(messages[a:b], decoded.rows[a:b], strict=True) if r is not None]
            self._store_range(topic, partition, good, (messages[a].offset, messages[b - 1].offset), frozenset())
            st.stored_through = messages[b - 1].offset
        return decoded.raw_timestamps

    def _store_range(self, topic: str, partition: int, good: list[tuple[Message, Rows]],
                     span: tuple[int, int], skip: frozenset[str]) -> None:
        """Insert ``good`` as one range named by ``span``; on a refused row split in halves
        (each named by its own offsets) until the refused message is alone."""
        token = span_token(topic, partition, *span)
        progress = (topic, partition, span[0], span[1])
        tables: Rows = {}
        for _, rows in good:
            for table, r in rows.items():
                if table not in skip:
                    tables.setdefault(table, []).extend(r)
        inserts = [TableInsert(t, r) for t, r in tables.items()]
        try:
            t0 = time.perf_counter()
            self._call(f"insert {token}", lambda w: w.write(inserts, token, progress, skip))
            metrics.INSERT_SECONDS.observe(time.perf_counter() - t0)
            self.rows_written += sum(len(i.rows) for i in inserts)
        except InsertRejected as exc:
            done = skip | exc.done
            if len(good) == 1:
                self.dead_letters.send(topic, partition, good[0][0], f"ClickHouse rejected the row: {exc}")
                self.retrier.run(self.dead_letters.flush, "write dead letters")
                self._call(f"insert {token}", lambda w: w.write([], token, progress))
                return
            mid = len(good) // 2
            for half in (good[:mid], good[mid:]):
                self._store_range(topic, partition, half, (half[0][0].offset, half[-1][0].offset), done)
