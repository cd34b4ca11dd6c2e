"""The parse stage: a plain confluent-kafka loop, wire.raw -> wire.items (+ wire.dlq).

Stateless and at least once: per poll, parse every raw item, produce it to the
``wire.items`` partition of its story shard (the language by default), wait for every
delivery, and only then commit the input offsets synchronously (STYLE.md §3: produce ->
commit, never commit in a ``finally``). A crash replays the uncommitted raw items; the
stories loop sees the same item id + content hash again and marks it a redelivery.

Replaced the faust agent: in a py-spy profile of the worker the agent took ~30 % of the
samples while ``parse_stage`` itself took 2.8 % (docs/notes/stage.md).
"""

from __future__ import annotations

import contextlib
import logging
import threading

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from processors import metrics
from processors.health import WorkerHealth
from processors.stages import parse_stage, shard_partition, story_shard
from processors.stall import StallWatch, check_stall, note_progress
from schemas.models import InvalidItem, dumps
from wirecore.deadletter import build_dead_letter
from wirecore.retry import Backoff, Clock, RetryPolicy, SystemClock
from wirecore.settings import Settings
from wirecore.topology import PROCESSORS

log = logging.getLogger("wirestream.processors.parse")

STAGE = "parse"
QUIET = {"log_level": 3}


class ParseLoop:
    def __init__(self, settings: Settings, worker_id: str, health: WorkerHealth, stop: threading.Event,
                 *, max_items: int = 1000, poll_s: float = 0.05, clock: Clock | None = None,
                 policy: RetryPolicy | None = None) -> None:
        self.s = settings
        self.worker_id = worker_id
        self.health = health
        self.stop = stop
        self.max_items = max_items
        self.poll_s = poll_s
        self.clock = clock or SystemClock(stop)
        self.backoff = Backoff(policy or RetryPolicy(initial=0.5, cap=10.0))
        self.items_topic = settings.topic("items")
        self.dlq_topic = settings.topic("dlq")
        self.consumer: Consumer | None = None
        self.producer: Producer | None = None
        self.failed: list[KafkaError] = []
        self._parsed_ok = metrics.ITEMS.labels(STAGE, "ok")  # resolved once, not per item
        self.stall = StallWatch()

    def _open(self) -> None:
        s = self.s
        self.producer = Producer(s.kafka_conf() | QUIET | {
            "enable.idempotence": True, "linger.ms": 5, "compression.type": "lz4",
            "message.max.bytes": s.max_message_bytes + 65536,
            # a Python callback per delivered item costs the stories loop's GIL time: only
            # failures call back (flush() still waits for every delivery before the commit)
            "delivery.report.only.error": True,
        })
        self.consumer = Consumer(s.kafka_conf() | QUIET | {
            "group.id": s.group(PROCESSORS),
            "group.instance.id": self.worker_id,  # static membership, as the stories loop
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1500,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        })
        self.consumer.subscribe([self.s.topic("raw")])
        self.stall.assigned()
        self.health.started(STAGE)

    def _close(self) -> None:
        if self.consumer is not None:
            with contextlib.suppress(KafkaException, RuntimeError):
                self.consumer.close()
        self.consumer = self.producer = None

    def run(self) -> None:
        while not self.stop.is_set():
            self.health.beat(STAGE)  # a call that never returns shows as "stuck" in /readyz
            try:
                if self.consumer is None:
                    self._open()
                self._run_batch()
            except (KafkaException, OSError) as exc:  # the broker or the disk, never the item
                delay = self.backoff.failed()
                reason = exc.args[0].str() if isinstance(exc, KafkaException) and exc.args else str(exc)
                self.health.paused(STAGE, type(exc).__name__, reason, delay)
                self._close()  # uncommitted raw items are read again after reconnecting
                self.clock.sleep(delay)
        if self.producer is not None:
            self.producer.flush(10)
        self._close()

    def _run_batch(self) -> None:
        msgs = self.consumer.consume(num_messages=self.max_items, timeout=self.poll_s)
        offsets: dict[tuple[str, int], int] = {}
        for m in msgs:
            if m.error() is not None:
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            self._handle(m)
            offsets[(m.topic(), m.partition())] = m.offset() + 1
        if not offsets:
            if self.producer is not None:
                self.producer.poll(0)  # its queued log lines (wirecore.logs.kafka_logger): nothing flushes it now
            self._maybe_resume()
            check_stall(STAGE, self.stall, self.consumer, self.health, self._close)
            return
        note_progress(STAGE, self.stall, self.health)
        if self.producer.flush(30) > 0 or self.failed:
            err, self.failed = (self.failed or [KafkaError(KafkaError._TIMED_OUT, "deliveries pending")])[0], []
            raise KafkaException(err)  # nothing committed: the batch is parsed again
        self.consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                             asynchronous=False)
        if self.backoff.attempt:
            self.backoff.reset()
            self.health.resumed(STAGE)

    def _maybe_resume(self) -> None:
        """Paused with nothing to parse: resume once a poll comes back clean with partitions
        assigned (the broker answers again) instead of waiting for input that may never come."""
        if self.backoff.attempt and self.consumer.assignment():
            self.backoff.reset()
            self.health.resumed(STAGE)

    def _handle(self, m) -> None:
        try:
            item = parse_stage(m.value(), m.headers(), self.s)
        except InvalidItem as exc:
            self._dead_letter(m, exc.reason)
            return
        except (OSError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - a parser bug on one item: that item's dead letter
            log.exception("parse failed on %s[%s]@%s", m.topic(), m.partition(), m.offset())
            self._dead_letter(m, f"internal error: {type(exc).__name__}: {exc}")
            return
        ts_type, ts_ms = m.timestamp()
        partition = shard_partition(story_shard(item, self.s.story_shard), self.s.items_partitions)
        self._produce(self.items_topic, item.item_id.encode(), dumps(item), partition,
                      [("raw_ts_ms", str(ts_ms if ts_type else 0).encode())])
        self._parsed_ok.inc()

    def _dead_letter(self, m, reason: str) -> None:
        metrics.ITEMS.labels(STAGE, "dead_letter").inc()
        metrics.DEAD_LETTERS.labels(STAGE, reason.split(":")[0][:60]).inc()
        dl = build_dead_letter(stage=STAGE, reason=reason, topic=m.topic(), partition=m.partition(),
                               offset=m.offset(), value=m.value(), key=m.key(), headers=m.headers())
        self._produce(self.dlq_topic, m.key(), dumps(dl), -1, None)

    def _on_delivery(self, err, msg) -> None:
        if err is not None:
            self.failed.append(err)

    def _produce(self, topic: str, key: bytes | None, value: bytes, partition: int, headers) -> None:
        while True:
            try:
                self.producer.produce(topic, value=value, key=key, partition=partition, headers=headers,
                                      on_delivery=self._on_delivery)
                return
            except BufferError:  # backpressure: wait for deliveries instead of growing a buffer
                self.producer.poll(0.05)
