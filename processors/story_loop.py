"""The stories stage: a plain confluent-kafka loop with one Kafka transaction per poll.

Per batch (up to ``max_items`` items or one poll): decide every item with its shard's engine,
then, inside one transaction, produce the story events (``wire.stories``), dead letters of
undecodable items (``wire.dlq``), the coalesced state writes (``wire.story-state``, partition
= input partition) and the input offsets (``send_offsets_to_transaction``), and commit.
Either all of it is visible to read_committed readers or none: a kill at any moment
resumes from the last commit with the engine rebuilt from the changelog as of that commit,
and the deterministic engine decides the replayed items exactly as before, so a story
version is never issued twice and never skipped.

Errors, in three kinds (STYLE.md §4): an item's own defect (``InvalidItem``) is dead-lettered
in the same transaction; Kafka errors (broker down, fenced, transaction aborted) pause the
stage: abort, drop the engines, back off with ``wirecore.retry``, rejoin and restore;
anything else is a bug and ends the worker loudly.

A transactional call that does not return is a Kafka error too. librdkafka does not enforce
the timeout of ``send_offsets_to_transaction`` (confluentinc/librdkafka#5456) and waits for
ever on a group coordinator it cached from a broker it has since dropped (#5511): after a
SIGKILLed broker the client re-bootstraps, drops the broker, and the next transaction
stalled the stage for good. So the producer does not re-bootstrap
(``metadata.recovery.strategy=none``: its one broker list is kept and reconnected), and every
blocking transactional call runs against a deadline of its own: past it the producer is
abandoned (never touched again), and a new one with the same ``transactional.id`` fences it
and aborts its open transaction before the stage rejoins and restores.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from processors import metrics
from processors.health import WorkerHealth
from processors.stages import decode_item, item_features
from processors.stall import StallWatch, check_stall, note_progress
from processors.stories import EngineConfig
from processors.stories.features import ItemFeatures
from processors.story_state import ShardState
from schemas.models import InvalidItem, WireItem, dumps
from wirecore.deadletter import build_dead_letter
from wirecore.heap import FrozenHeap
from wirecore.retry import Backoff, Clock, RetryPolicy, SystemClock
from wirecore.settings import Settings
from wirecore.topology import STORY_WORKERS

log = logging.getLogger("wirestream.processors.stories")

STAGE = "stories"
SESSION_TIMEOUT_MS = 6000  # a dead worker's partitions move after this (static membership)
TRANSACTION_TIMEOUT_MS = 10000  # a dead worker's open transaction is aborted after this
QUIET = {"log_level": 3}
TXN_CALL_TIMEOUT_S = 30.0  # what librdkafka is asked to keep to
TXN_CALL_GRACE_S = 15.0  # past timeout + grace a call counts as hung (librdkafka#5456)
MAX_ABANDONED = 3  # more producers hung at once than this: end the worker loudly
CLIENT_ERROR_QUIET_S = 5.0  # paused by the error callback: resume once it has been quiet this long
# The transactional producer does not re-bootstrap when its broker is gone: re-bootstrapping
# drops the known brokers, and a group coordinator cached from one of them hangs
# send_offsets_to_transaction for good (confluentinc/librdkafka#5511).
NO_REBOOTSTRAP = {"metadata.recovery.strategy": "none"}


class HungCall(Exception):
    """A transactional call that did not return within its deadline (librdkafka#5456)."""

    def __init__(self, name: str, waited_s: float, thread: threading.Thread) -> None:
        super().__init__(f"{name} did not return within {waited_s:.0f}s")
        self.name, self.waited_s, self.thread = name, waited_s, thread


def call_with_deadline(name: str, fn, *args, deadline_s: float):
    """``fn(*args)`` in a daemon thread; its result, its exception, or ``HungCall`` once
    ``deadline_s`` has passed (the thread is left blocked in the call: nothing can end it)."""
    box: dict = {}
    done = threading.Event()

    def call() -> None:
        try:
            box["result"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as it is
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=call, name=f"stories-{name}", daemon=True)
    thread.start()
    if not done.wait(deadline_s):
        raise HungCall(name, deadline_s, thread)
    if "error" in box:
        raise box["error"]
    return box.get("result")


class StoryLoop:
    """Owns one consumer + one transactional producer; ``run()`` until ``stop`` is set."""

    def __init__(self, settings: Settings, worker_id: str, health: WorkerHealth,
                 stop: threading.Event, *, max_items: int = 1000, poll_s: float = 0.05,
                 clock: Clock | None = None, policy: RetryPolicy | None = None) -> None:
        self.s = settings
        self.worker_id = worker_id
        self.health = health
        self.stop = stop
        self.max_items = max_items
        self.poll_s = poll_s
        self.clock = clock or SystemClock(stop)
        self.backoff = Backoff(policy or RetryPolicy(initial=0.5, cap=10.0))
        self.engine_cfg = EngineConfig(idle_hours=settings.story_idle_hours)
        self.items_topic = settings.topic("items")
        self.state_topic = settings.topic("story-state")
        self.stories_topic = settings.topic("stories")
        self.dlq_topic = settings.topic("dlq")
        self.shards: dict[int, ShardState] = {}
        self.consumer: Consumer | None = None
        self.producer: Producer | None = None
        self.in_transaction = False
        self.client_error_at: float | None = None  # last broker-down report of the error callback
        self.abandoned: list[tuple[Producer, threading.Thread]] = []  # hung in a call: never touched
        self.stall = StallWatch()
        self.heap = FrozenHeap()  # the engines' state: long-lived, acyclic (wirecore.heap)

    # -- clients ---------------------------------------------------------------------------
    def _open(self) -> None:
        s = self.s
        self.producer = Producer(s.kafka_conf() | QUIET | {
            "transactional.id": f"{s.group(STORY_WORKERS)}-{self.worker_id}",
            "transaction.timeout.ms": TRANSACTION_TIMEOUT_MS,
            "compression.type": "zstd",
            "linger.ms": 5,
            "message.max.bytes": s.max_message_bytes + 65536,
            "queue.buffering.max.kbytes": 262144,
        } | NO_REBOOTSTRAP)
        # fences our previous incarnation (or a producer abandoned in a hung call), aborts its txn
        self._txn_call("init_transactions", self.producer.init_transactions, TXN_CALL_TIMEOUT_S)
        self.consumer = Consumer(s.kafka_conf() | QUIET | {
            "group.id": s.group(STORY_WORKERS),
            "group.instance.id": self.worker_id,
            "session.timeout.ms": SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": 1500,
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "error_cb": self._on_client_error,
        })
        self.consumer.subscribe([self.items_topic], on_assign=self._on_assign,
                                on_revoke=self._on_revoke, on_lost=self._on_revoke)

    def _close(self) -> None:
        self.shards.clear()
        self.heap.release()
        if self.consumer is not None:
            with contextlib.suppress(KafkaException, RuntimeError):
                self.consumer.close()
        if self.producer is not None and self.in_transaction:
            try:  # fenced or broker gone: the broker aborts it (transaction.timeout.ms)
                self._txn_call("abort_transaction", self.producer.abort_transaction, 5)
            except KafkaException:
                pass
            except HungCall as exc:
                self._abandon(exc)
        self.in_transaction = False
        self.consumer = self.producer = None

    def _txn_call(self, name: str, fn, timeout_s: float):
        return call_with_deadline(name, fn, timeout_s, deadline_s=timeout_s + TXN_CALL_GRACE_S)

    def _abandon(self, exc: HungCall) -> None:
        """Leave a producer hung in a call alone for good (destroying it under the call is not
        safe); the next ``init_transactions`` with our transactional.id fences it. Too many at
        once is a bug: the worker ends loudly and is restarted with fresh clients."""
        log.error("stories: %s on the transactional producer (librdkafka ignores its own timeout "
                  "there, confluentinc/librdkafka#5456): abandoning it; a new producer fences it "
                  "and aborts its open transaction", exc)
        if self.producer is not None:
            self.abandoned.append((self.producer, exc.thread))
        self.abandoned = [(p, t) for p, t in self.abandoned if t.is_alive()]
        self.producer, self.in_transaction = None, False
        if len(self.abandoned) > MAX_ABANDONED:
            raise RuntimeError(f"{len(self.abandoned)} transactional producers hung in librdkafka calls")

    def _on_client_error(self, err: KafkaError) -> None:
        """Served inside ``consume``: broker down is reported once per outage (not per
        reconnect attempt) and cleared by ``_maybe_resume`` once the broker answers again."""
        if err.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT):
            if self.client_error_at is None:
                self.health.paused(STAGE, "kafka", err.str(), 0.0)
            self.client_error_at = time.monotonic()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            t0 = time.perf_counter()
            records = read_changelog(self.s, self.state_topic, tp.partition)
            self.shards[tp.partition] = ShardState.restore(self.engine_cfg, records)
            took = time.perf_counter() - t0
            self.health.beat(STAGE)
            metrics.STORY_RESTORE_SECONDS.observe(took)
            log.info("shard %s restored from %d changelog records in %.2fs", tp.partition, len(records), took)
        self.stall.assigned()
        self.health.started(STAGE)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.shards.pop(tp.partition, None)

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> None:
        while not self.stop.is_set():
            self.health.beat(STAGE)
            try:
                if self.consumer is None:
                    self._open()
                self._run_batch()
            except HungCall as exc:
                self._abandon(exc)
                self._pause("kafka", str(exc))
            except KafkaException as exc:
                self._pause("kafka", exc.args[0].str() if exc.args else str(exc))
            except OSError as exc:  # nothing is written locally, but never dead-letter the disk
                self._pause("os", str(exc))
        self._close()

    def _pause(self, kind: str, reason: str) -> None:
        delay = self.backoff.failed()
        self.health.paused(STAGE, kind, reason, delay)
        self._close()  # uncommitted work is aborted; engines are restored on reassignment
        self.clock.sleep(delay)

    def _run_batch(self) -> None:
        msgs = self.consumer.consume(num_messages=self.max_items, timeout=self.poll_s)
        msgs = [m for m in msgs if not self._client_error(m)]
        if not msgs:
            if self.producer is not None:
                self.producer.poll(0)  # its queued log lines (wirecore.logs.kafka_logger): no commit serves it now
            self._maybe_resume()
            if self.shards:  # restored: a stall is not the restore itself
                check_stall(STAGE, self.stall, self.consumer, self.health, self._close)
            return
        note_progress(STAGE, self.stall, self.health)
        producer = self.producer
        producer.begin_transaction()
        self.in_transaction = True
        next_offsets: dict[int, int] = {}
        touched: set[int] = set()
        batch: list[tuple[Message, ShardState, WireItem | InvalidItem]] = []
        for m in msgs:
            p = m.partition()
            shard = self.shards.get(p)
            if shard is None:  # revoked during this poll; its new owner reprocesses it
                continue
            try:
                batch.append((m, shard, decode_item(m.value())))
            except InvalidItem as exc:
                batch.append((m, shard, exc))
            touched.add(p)
            next_offsets[p] = m.offset() + 1
        wanted = [k for k, (_, shard, x) in enumerate(batch) if isinstance(x, WireItem) and shard.needs_features(x)]
        features: list[ItemFeatures | None] = [None] * len(batch)
        for k, f in zip(wanted, self._features([batch[k][2] for k in wanted]), strict=True):
            features[k] = f
        for (m, shard, item), feats in zip(batch, features, strict=True):
            if isinstance(item, WireItem):
                self._handle(m, shard, item, feats)
            else:
                self._dead_letter(m, item)
        state_bytes = 0
        for p in touched:
            for key, value in self.shards[p].take_pending().items():
                state_bytes += len(key) + (len(value) if value else 0)
                self._produce(self.state_topic, key.encode(), value, partition=p)
        offsets = [TopicPartition(self.items_topic, p, o) for p, o in next_offsets.items()]
        meta = self.consumer.consumer_group_metadata()
        self._txn_call("send_offsets_to_transaction",
                       lambda t: producer.send_offsets_to_transaction(offsets, meta, t), TXN_CALL_TIMEOUT_S)
        self._txn_call("commit_transaction", producer.commit_transaction, TXN_CALL_TIMEOUT_S)
        self.in_transaction = False
        metrics.STORY_BATCH_ITEMS.observe(len(msgs))
        self.heap.settle(len(msgs))
        metrics.STORY_STATE_BYTES.inc(state_bytes)
        if self.backoff.attempt or self.client_error_at is not None:
            self.backoff.reset()
            self.client_error_at = None
            self.health.resumed(STAGE)

    def _maybe_resume(self) -> None:
        """A paused stage with nothing to do resumes once a poll comes back clean with its
        partitions assigned (the broker answers again): /readyz must not wait for input."""
        if not self.backoff.attempt and self.client_error_at is None:
            return
        if self.client_error_at is not None and time.monotonic() - self.client_error_at < CLIENT_ERROR_QUIET_S:
            return
        if not self.consumer.assignment():
            return
        self.backoff.reset()
        self.client_error_at = None
        self.health.resumed(STAGE)

    def _features(self, items: list[WireItem]) -> list[ItemFeatures | None]:
        """The engine features of the batch's items that need them (not redeliveries, not
        copies of kept items), in one pass (``featurise_many``: SimHashes of the whole poll at
        once). Should one item break the batch computation, every item goes without:
        the engine then computes each item's own, and the error surfaces at that one item,
        exactly as if the batch had never been formed."""
        try:
            return list(item_features(items, self.engine_cfg))
        except Exception:  # noqa: BLE001 - re-raised per item by the engine; see docstring
            log.warning("features of a batch of %d items failed; computing them per item", len(items))
            return [None] * len(items)

    def _handle(self, m: Message, shard: ShardState, item: WireItem, features: ItemFeatures | None) -> None:
        try:
            event = shard.step(item, raw_ts_ms(m.headers()), features)
        except InvalidItem as exc:
            self._dead_letter(m, exc)
            return
        metrics.RELATIONS.labels(event.relation).inc()
        metrics.ITEMS.labels(STAGE, "redelivery" if event.redelivery else "ok").inc()
        self._produce(self.stories_topic, event.story_id.encode(), dumps(event))

    def _dead_letter(self, m: Message, exc: InvalidItem) -> None:
        metrics.ITEMS.labels(STAGE, "dead_letter").inc()
        metrics.DEAD_LETTERS.labels(STAGE, exc.reason.split(":")[0][:60]).inc()
        dl = build_dead_letter(stage=STAGE, reason=exc.reason, topic=m.topic(), partition=m.partition(),
                               offset=m.offset(), value=m.value(), key=m.key(), headers=m.headers())
        self._produce(self.dlq_topic, m.key(), dumps(dl))

    def _produce(self, topic: str, key: bytes | None, value: bytes | None, partition: int = -1) -> None:
        while True:
            try:
                self.producer.produce(topic, value=value, key=key, partition=partition)
                return
            except BufferError:  # backpressure: wait for deliveries instead of growing a buffer
                self.producer.poll(0.05)

    def _client_error(self, m) -> bool:
        err = m.error()
        if err is None:
            return False
        if err.code() == KafkaError._PARTITION_EOF:
            return True
        raise KafkaException(err)


def raw_ts_ms(headers) -> int | None:
    for k, v in headers or []:
        if k == "raw_ts_ms":
            try:
                return int(v) or None
            except ValueError:
                return None
    return None


def read_changelog(settings: Settings, topic: str, partition: int,
                   timeout_s: float = 120.0) -> list[tuple[bytes, bytes | None]]:
    """Every committed record of one changelog partition, in offset order.

    Reads read_committed up to the high watermark as it was when called; records of an
    open transaction (a dead worker's, until the broker aborts it) hold the reader back, so
    a restore never starts from state that might still be rolled back.
    """
    c = Consumer(settings.kafka_conf() | QUIET | {
        "group.id": f"{settings.group(STORY_WORKERS)}-restore", "enable.auto.commit": False,
        "isolation.level": "read_committed", "enable.partition.eof": True,
    })
    try:
        tp = TopicPartition(topic, partition)
        low, high = c.get_watermark_offsets(tp, timeout=30, cached=False)
        if high <= low:
            return []
        c.assign([TopicPartition(topic, partition, low)])
        out: list[tuple[bytes, bytes | None]] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for m in c.consume(num_messages=5000, timeout=0.2):
                if m.error() is None:
                    out.append((m.key(), m.value()))
                elif m.error().code() != KafkaError._PARTITION_EOF:
                    raise KafkaException(m.error())
            pos = c.position([tp])[0].offset
            if pos >= high:
                return out
        raise KafkaException(KafkaError(KafkaError._TIMED_OUT, f"restore of {topic}[{partition}] timed out"))
    finally:
        c.close()
