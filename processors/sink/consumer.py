"""The sink loop: ``wire.stories`` + ``wire.dlq`` -> ClickHouse, exactly once, without Keeper.

This module only polls, pauses and resumes; parts do the rest (like snuba's Reduce -> flush ->
CommitOffsets): ``BatchBuilder`` (state.py) batches per partition, ``OffsetCommitter`` records
intent and commit, ``BatchStore`` writes, ``Retrier`` is every wait. Per batch:
  1. commit the batch's *start* offset with metadata ``inflight:first-last`` (the intent);
  2. insert every table's rows with token ``topic:partition:first-last``, then the
     ``sink_offsets`` progress row;
  3. commit ``last + 1``.
A crash anywhere restarts at ``first`` with the intent in hand, rebuilds exactly that range,
and the re-insert is dropped by ClickHouse (non_replicated_deduplication_window).

A consumer that stays assigned but stops fetching (seen once after a broker restart) is
caught by the same ``StallWatch`` as the other stages: reported on ``/readyz``, and after
``rejoin_after_s`` the consumer is rebuilt. Buffered, unflushed messages are dropped then;
they are re-read from the committed offset, with the recorded intent, like after a revoke.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from processors import metrics
from processors.sink.batch import Batch, BatchLimits, Message, parse_intent
from processors.sink.clients import consumer_conf, producer_conf
from processors.sink.committer import OffsetCommitter
from processors.sink.dlq import KafkaDeadLetters
from processors.sink.retrier import Retrier, SinkStopped
from processors.sink.state import BatchBuilder, PartitionState
from processors.sink.store import BatchStore, Writer
from processors.stall import StallNote, StallWatch, check_stall, note_progress
from wirecore.retry import Clock, RetryPolicy, SystemClock
from wirecore.settings import Settings

log = logging.getLogger("wirestream.sink")
SINK_RETRY = RetryPolicy(initial=0.5, cap=30.0, give_up_after=6)  # stuck after ~30 s of one cause


class SinkConsumer:
    def __init__(self, settings: Settings, writer_factory: Callable[[], Writer], *, consumer=None,
                 producer=None, clock: Clock | None = None, policy: RetryPolicy = SINK_RETRY,
                 stop: threading.Event | None = None,
                 consumer_factory: Callable[[], Consumer] | None = None) -> None:
        """``consumer``/``producer`` default to real confluent-kafka clients; tests pass
        wirecore.memory_kafka's, with a ``FakeClock``. ``stop`` ends the loop and every wait.
        ``consumer_factory`` makes the consumer a stall rebuilds (default: a real one)."""
        self.stories_topic, self.dlq_topic = settings.topic("stories"), settings.topic("dlq")
        self.stop_event = stop or threading.Event()
        self.clock = clock or SystemClock(self.stop_event)
        self._new_consumer = consumer_factory or (lambda: Consumer(consumer_conf(settings)))
        self._consumer = consumer or self._new_consumer()
        self.stall = StallWatch(now=self.clock.monotonic)
        self.stalled = StallNote()  # what /readyz shows while the consumer reads nothing
        self._producer = producer or Producer(producer_conf(settings))
        self.batch_rows = settings.sink_batch_rows
        self.builder = BatchBuilder(
            BatchLimits(settings.sink_batch_rows, settings.sink_batch_bytes, settings.sink_batch_ms), self.clock)
        self.retrier = Retrier(policy, self.clock, self.stop_event, pause=self._pause, resume=self._resume,
                               idle=self._idle)
        self.committer = OffsetCommitter(self._consumer, self.retrier)
        self.store = BatchStore(writer_factory, KafkaDeadLetters(self._producer, self.dlq_topic), self.retrier,
                                self.dlq_topic)

    @property
    def rows_written(self) -> int:
        return self.store.rows_written

    def _on_assign(self, consumer, partitions: list[TopicPartition]) -> None:
        for tp in consumer.committed(partitions, timeout=30):
            intent = parse_intent(tp.metadata)
            self.builder.assign(tp.topic, tp.partition, intent[1] if intent else None)
            if intent:
                log.info("resuming in-flight batch %s:%s:%s-%s", tp.topic, tp.partition, *intent)

    def _on_revoke(self, consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.builder.revoke(tp.topic, tp.partition)

    def run(self, until_idle_s: float | None = None) -> None:
        """Consume until ``stop_event`` is set (or idle that long, for batch runs).
        Raises SinkStopped if it had to stop on its own (e.g. the DLQ stayed unwritable)."""
        self._subscribe()
        last_activity = self.clock.monotonic()
        try:
            while not self.stop_event.is_set():
                if self._poll(self.batch_rows, self.builder.next_due_in(0.2)):
                    last_activity = self.clock.monotonic()
                    note_progress("sink", self.stall, self.stalled)
                else:
                    self._producer.poll(0)  # its queued log lines (wirecore.logs.kafka_logger)
                    check_stall("sink", self.stall, self._consumer, self.stalled, self._rejoin)
                for st, batch, reason in self.builder.due():
                    self._flush(st, batch, reason)
                idle_for = self.clock.monotonic() - last_activity
                if until_idle_s is not None and idle_for > until_idle_s and self.builder.waiting_only():
                    break
            while ready := self.builder.ready_for_shutdown():  # graceful stop: store what is buffered
                for st, batch in ready:
                    self._flush(st, batch, "shutdown")
        except SinkStopped as exc:
            if not self.stop_event.is_set():
                raise
            log.warning("%s", exc)
        finally:
            self._consumer.close()
            self._producer.flush(10)

    def _subscribe(self) -> None:
        self._consumer.subscribe([self.stories_topic, self.dlq_topic], on_assign=self._on_assign,
                                 on_revoke=self._on_revoke)
        self.stall.assigned()

    def _rejoin(self) -> None:
        """A new consumer in place of one that stopped fetching (``check_stall`` decided)."""
        for topic, partition in list(self.builder.partitions):
            self.builder.revoke(topic, partition)
        try:
            self._consumer.close()
        except (KafkaException, RuntimeError) as exc:
            log.warning("closing the stalled consumer: %s", exc)
        self._consumer = self._new_consumer()
        self.committer.consumer = self._consumer
        self._subscribe()

    def _poll(self, n: int, timeout: float) -> int:
        got = 0
        add = self.builder.add
        for msg in self._consumer.consume(n, timeout):
            err = msg.error()
            if err is not None:
                if err.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer error: %s", err)
                continue
            add(msg.topic(), msg.partition(), Message(msg.offset(), msg.value() or b"", msg.key()))
            got += 1
        return got

    def _flush(self, st: PartitionState, batch: Batch, reason: str) -> None:
        self.committer.intend(batch)  # 1. the intent
        stamps = self.store.store(st, batch)  # 2. insert (runs, poison split), retried until stored
        self.committer.done(batch)  # 3. done
        metrics.BATCH_CLOSED.labels(reason).inc()
        metrics.BATCH_ROWS.observe(len(batch.messages))
        metrics.BATCH_BYTES.observe(batch.nbytes)
        now_ms = time.time() * 1000
        for raw_ts in stamps:
            metrics.FRESHNESS.observe(max(0.0, (now_ms - raw_ts) / 1000))

    # -- what the Retrier does while an action keeps failing -------------------------------
    def _pause(self) -> None:  # polling while waiting must not fetch (and drop) messages
        self._consumer.pause(self._consumer.assignment())

    def _resume(self) -> None:
        self._consumer.resume(self._consumer.assignment())
        self.stall.assigned()  # the quiet time of a pause is not a stall

    def _idle(self, seconds: float) -> None:
        """Wait while paused: this only keeps group membership alive; but a rebalance served
        here un-pauses new partitions, so whatever arrives is buffered, never dropped."""
        end = self.clock.monotonic() + seconds
        while self.clock.monotonic() < end:
            self._poll(100, min(0.1, max(0.0, end - self.clock.monotonic())))

    def close(self) -> None:
        self.stop_event.set()
