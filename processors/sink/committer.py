"""Offsets: the intent before the insert, ``last + 1`` after it; retried, never skipped.

Step 1 commits the batch's *first* offset with metadata ``inflight:first-last``, so a crash
before the commit of step 3 restarts at ``first`` knowing the exact range to rebuild (same
token: ClickHouse drops the re-insert). Step 3 commits ``last + 1`` without metadata.
"""

from __future__ import annotations

from confluent_kafka import KafkaException, TopicPartition

from processors.sink.batch import Batch, intent_metadata
from processors.sink.retrier import Retrier
from wirecore.errors import KafkaUnavailable


class OffsetCommitter:
    def __init__(self, consumer, retrier: Retrier) -> None:
        self.consumer, self.retrier = consumer, retrier

    def intend(self, batch: Batch) -> None:
        self._commit(TopicPartition(batch.topic, batch.partition, batch.first, metadata=intent_metadata(batch)))

    def done(self, batch: Batch) -> None:
        self._commit(TopicPartition(batch.topic, batch.partition, batch.next_offset))

    def _commit(self, tp: TopicPartition) -> None:
        def attempt() -> None:
            try:
                self.consumer.commit(offsets=[tp], asynchronous=False)
            except KafkaException as exc:
                raise KafkaUnavailable(f"commit failed: {exc.args[0]}") from exc

        self.retrier.run(attempt, f"commit {tp.topic}:{tp.partition}@{tp.offset}")
