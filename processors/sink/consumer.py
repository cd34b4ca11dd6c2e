"""The sink loop: ``wire.stories`` + ``wire.dlq`` -> ClickHouse, exactly once, without Keeper.

Per batch (one partition, a contiguous offset range):
  1. commit the batch's *start* offset with metadata ``inflight:first-last`` (the intent);
  2. insert every table's rows with token ``topic:partition:first-last``;
  3. commit ``last + 1``.
A crash before 2 or between 2 and 3 restarts at ``first`` with the intent in hand, so the
batch is rebuilt over exactly the same range and re-inserted with the same token, which
ClickHouse drops as a duplicate (non_replicated_deduplication_window / Replicated dedup).
Transient failures pause the partition and retry with capped backoff; a batch is never
skipped. Poison messages are isolated by splitting and go to ``wire.dlq`` with the reason.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from processors import metrics
from processors.dead_letters import build_dead_letter
from processors.sink.batch import Batch, Message, intent_metadata, parse_intent
from processors.sink.rows import COLUMNS, decode_story_event, rows_for_dead_letter, rows_for_story_event
from schemas.models import InvalidItem, dumps
from wirecore.clickhouse import ClickHouseUnavailable, ClickHouseWriter, TableInsert, TableRejected
from wirecore.errors import FatalError
from wirecore.settings import Settings

log = logging.getLogger("wirestream.sink")


class SinkConsumer:
    def __init__(self, settings: Settings, writer_factory: Callable[[], ClickHouseWriter],
                 *, consumer=None, producer=None):
        """``consumer``/``producer`` default to real confluent-kafka clients; tests pass fakes."""
        self.settings = settings
        self._writer_factory = writer_factory
        self._writer: ClickHouseWriter | None = None
        self.stories_topic = settings.topic("stories")
        self.dlq_topic = settings.topic("dlq")
        self._consumer = consumer or Consumer(settings.kafka_conf() | {
            "group.id": settings.group("sink"),
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "max.poll.interval.ms": 600000,
            # a killed sink's partitions return to its successor after 10 s, not the 45 s default
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 2000,
        })
        self._producer = producer or Producer(settings.kafka_conf() | {
            "enable.idempotence": True, "acks": "all", "message.max.bytes": settings.max_message_bytes + 65536})
        self._batches: dict[tuple[str, int], Batch] = {}
        self._stored: dict[tuple[str, int], int] = {}  # highest offset already in ClickHouse
        self._held: dict[tuple[str, int], list] = {}  # messages past a resumed batch's recorded end
        self._intents: dict[tuple[str, int], int] = {}
        self.stop_event = threading.Event()
        self.rows_written = 0

    # -- assignment ---------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in consumer.committed(partitions, timeout=30):
            intent = parse_intent(tp.metadata)
            if intent is not None:
                self._intents[(tp.topic, tp.partition)] = intent[1]
                log.info("resuming in-flight batch %s:%s:%s-%s", tp.topic, tp.partition, *intent)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # uncommitted batches are simply dropped: the next owner re-reads them from the
        # committed offset, with the recorded intent, so nothing is lost or doubled.
        for tp in partitions:
            self._batches.pop((tp.topic, tp.partition), None)
            self._intents.pop((tp.topic, tp.partition), None)
            self._stored.pop((tp.topic, tp.partition), None)
            self._held.pop((tp.topic, tp.partition), None)

    # -- main loop ----------------------------------------------------------------------
    def run(self, until_idle_s: float | None = None) -> None:
        """Consume until ``stop_event`` is set (or idle that long, for batch runs).
        Raises SinkStopped if it had to stop on its own (e.g. the DLQ stayed unwritable)."""
        self._consumer.subscribe(
            [self.stories_topic, self.dlq_topic], on_assign=self._on_assign, on_revoke=self._on_revoke
        )
        last_activity = time.monotonic()
        s = self.settings
        try:
            while not self.stop_event.is_set():
                for msg in self._consumer.consume(s.sink_batch_rows, 0.2):  # up to a batch at once
                    if msg.error():
                        if msg.error().code() != KafkaError._PARTITION_EOF:
                            log.warning("consumer error: %s", msg.error())
                    else:
                        last_activity = time.monotonic()
                        self._add(msg)
                for key in list(self._batches):
                    batch = self._batches.get(key)  # fresh: a rebalance during a flush may replace it
                    reason = batch and batch.close_reason(s.sink_batch_rows, s.sink_batch_bytes, s.sink_batch_ms)
                    if reason:
                        self._flush_key(key, reason)
                if until_idle_s is not None and not self._batches and time.monotonic() - last_activity > until_idle_s:
                    break
            self._flush_all("shutdown")
        except SinkStopped as exc:
            if not self.stop_event.is_set():
                raise
            log.warning("%s", exc)
        finally:
            self._consumer.close()
            self._producer.flush(10)

    def _flush_key(self, key: tuple[str, int], reason: str) -> None:
        # detached first: anything polled during the flush starts a new batch
        self._flush(self._batches.pop(key), reason)
        for msg in self._held.pop(key, []):  # what arrived past a resumed batch's end
            self._add(msg)

    def _flush_all(self, reason: str) -> None:
        """Graceful stop: store what is buffered. A crash skips this and loses nothing either:
        uncommitted offsets are simply read again."""
        for key in list(self._batches):
            batch = self._batches.get(key)
            if batch is None or (batch.until is not None and batch.last < batch.until):
                continue  # an unfinished resumed batch must keep its exact range: leave it
            self._flush_key(key, reason)

    def _add(self, msg) -> None:
        key = (msg.topic(), msg.partition())
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = Batch(msg.topic(), msg.partition())
            batch.until = self._intents.pop(key, None)
            if batch.until is not None and msg.offset() > batch.until:
                batch.until = None  # intent already behind us (range committed elsewhere)
        elif batch.until is not None and msg.offset() > batch.until:
            self._held.setdefault(key, []).append(msg)  # a resumed batch keeps its exact range
            return
        ts_type, ts = msg.timestamp()
        batch.add(Message(msg.offset(), msg.value() or b"", msg.key(), ts if ts_type else None))

    # -- flushing -----------------------------------------------------------------------
    def _flush(self, batch: Batch, reason: str) -> None:
        tp = TopicPartition(batch.topic, batch.partition, batch.first, metadata=intent_metadata(batch))
        self._commit(tp)  # 1. the intent
        self._store(batch)  # 2. insert (splitting around poison), retried until it succeeds
        self._commit(TopicPartition(batch.topic, batch.partition, batch.next_offset))  # 3. done
        metrics.BATCH_CLOSED.labels(reason).inc()
        metrics.BATCH_ROWS.observe(len(batch.messages))
        metrics.BATCH_BYTES.observe(batch.nbytes)
        now_ms = time.time() * 1000
        for raw_ts in batch.raw_timestamps:
            metrics.FRESHNESS.observe(max(0.0, (now_ms - raw_ts) / 1000))

    def _commit(self, tp: TopicPartition) -> None:
        delay, paused = 0.2, False
        while True:
            try:
                self._consumer.commit(offsets=[tp], asynchronous=False)
                if paused:
                    self._consumer.resume(self._consumer.assignment())
                return
            except KafkaException as exc:
                if self.stop_event.is_set():
                    raise SinkStopped(f"stopped before commit of {tp.topic}:{tp.partition}@{tp.offset}") from None
                if not paused:  # polling while waiting must not fetch (and drop) messages
                    self._consumer.pause(self._consumer.assignment())
                    paused = True
                log.warning("commit failed (%s); retrying in %.1fs", exc.args[0], delay)
                self._sleep(delay)
                delay = min(delay * 2, 10)

    def _decode(self, batch: Batch) -> tuple[list[tuple[Message, dict]], list[tuple[Message, str]]]:
        """Rows per message, once per batch; undecodable messages apart (dead-lettered once)."""
        good, poison = [], []
        for m in batch.messages:
            try:
                if batch.topic == self.dlq_topic:
                    rows = rows_for_dead_letter(m.value, batch.topic, batch.partition, m.offset)
                else:
                    event = decode_story_event(m.value)
                    rows = rows_for_story_event(event)
                    if event.get("raw_timestamp_ms") and not event.get("redelivery"):
                        batch.raw_timestamps.append(event["raw_timestamp_ms"])
            except InvalidItem as exc:
                poison.append((m, exc.reason))
                continue
            good.append((m, rows))
        return good, poison

    def _store(self, batch: Batch) -> None:
        key = (batch.topic, batch.partition)
        if key not in self._stored:
            self._stored[key] = self._retrying(lambda w: w.stored_through(*key))
        done = self._stored[key]
        if done >= batch.last:
            log.info("skipping %s: already stored through offset %d", batch.token, done)
            return
        if done >= batch.first:  # partly stored earlier with other batch bounds: the rest only
            batch = Batch(batch.topic, batch.partition, [m for m in batch.messages if m.offset > done])
        good, poison = self._decode(batch)
        for m, why in poison:
            self._dead_letter(batch, m, why)
        self._store_range(batch.topic, batch.partition, good, (batch.first, batch.last), frozenset())
        self._stored[key] = batch.last

    def _store_range(self, topic: str, partition: int, good: list[tuple[Message, dict]],
                     span: tuple[int, int], skip: frozenset[str]) -> None:
        """Insert the rows of ``good`` as one batch named by ``span``; on a data error split in
        halves (each named by its own offsets) until the refused message is alone."""
        token = f"{topic}:{partition}:{span[0]}-{span[1]}"
        progress = (topic, partition, span[0], span[1])
        tables: dict[str, list[dict]] = {}
        for _, rows in good:
            for table, r in rows.items():
                tables.setdefault(table, []).extend(r)
        inserts = [TableInsert(t, COLUMNS[t], r) for t, r in tables.items()]
        try:
            self._retrying(lambda w: w.write(inserts, token, progress, skip))
            self.rows_written += sum(len(i.rows) for i in inserts if i.table not in skip)
        except _Rejected as exc:
            # tables stored in full before the refusal are not written again by the halves,
            # so splitting never stores a row twice
            done = skip | exc.done
            if len(good) == 1:
                self._dead_letter_at(topic, partition, good[0][0], f"ClickHouse rejected the row: {exc}")
                self._retrying(lambda w: w.write([], token, progress))
                return
            mid = len(good) // 2
            for half in (good[:mid], good[mid:]):
                self._store_range(topic, partition, half, (half[0][0].offset, half[-1][0].offset), done)

    def _retrying(self, action):
        """Run ``action(writer)``; pause and back off while ClickHouse is unavailable."""
        delay = 0.5
        paused = False
        while True:
            try:
                if self._writer is None:
                    self._writer = self._writer_factory()
                t0 = time.perf_counter()
                result = action(self._writer)
                metrics.INSERT_SECONDS.observe(time.perf_counter() - t0)
                if paused:
                    metrics.SINK_PAUSED.set(0)
                    self._consumer.resume(self._consumer.assignment())
                    log.info("ClickHouse is back; resumed consumption")
                return result
            except ClickHouseUnavailable as exc:
                metrics.INSERT_RETRIES.inc()
                if not paused:
                    paused = True
                    metrics.SINK_PAUSED.set(1)
                    self._consumer.pause(self._consumer.assignment())
                log.warning("ClickHouse unavailable (%s); retrying in %.1fs", exc, delay)
                self._sleep(delay)
                delay = min(delay * 2, 30)
                if self.stop_event.is_set() and self._stop_deadline_passed():
                    raise SinkStopped("stopped while ClickHouse was unavailable; batch not committed") from None
            except TableRejected as exc:  # a data error: isolate the poison row
                raise _Rejected(str(exc).splitlines()[0][:500], exc.done) from exc

    def _stop_deadline_passed(self) -> bool:
        self._stopping_since = getattr(self, "_stopping_since", None) or time.monotonic()
        return time.monotonic() - self._stopping_since > 5

    def _sleep(self, seconds: float) -> None:
        if self.stop_event.is_set():
            seconds = min(seconds, 0.5)  # stopping: a few quick last tries, then give up
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            # paused, this only keeps group membership alive; but a rebalance served here
            # un-pauses new partitions, so whatever arrives is buffered, never dropped
            msg = self._consumer.poll(0.1)
            if msg is not None and not msg.error():
                self._add(msg)

    def _dead_letter(self, batch: Batch, m: Message, reason: str) -> None:
        self._dead_letter_at(batch.topic, batch.partition, m, reason)

    def _dead_letter_at(self, topic: str, partition: int, m: Message, reason: str) -> None:
        log.warning("poison message %s:%s:%s -> %s: %s", topic, partition, m.offset, self.dlq_topic, reason)
        metrics.DEAD_LETTERS.labels("sink", reason.split(":")[0][:60]).inc()
        if topic == self.dlq_topic:
            return  # never loop a dead letter back into the dead-letter topic
        dl = build_dead_letter(stage="sink", reason=reason, topic=topic, partition=partition,
                               offset=m.offset, value=m.value, key=m.key)
        self._producer.produce(self.dlq_topic, value=dumps(dl), key=m.key)
        delay = 0.5
        while self._producer.flush(10):  # the batch is not committed until its poison is safe
            if self.stop_event.is_set():
                raise SinkStopped("could not write to the dead-letter topic; batch not committed")
            log.warning("dead-letter topic not writable; retrying in %.1fs", delay)
            self._sleep(delay)
            delay = min(delay * 2, 30)

    def close(self) -> None:
        self.stop_event.set()


class _Rejected(Exception):
    """ClickHouse refused the data itself (not the connection)."""

    def __init__(self, message: str, done: frozenset[str] = frozenset()):
        super().__init__(message)
        self.done = done


class SinkStopped(FatalError):
    pass
