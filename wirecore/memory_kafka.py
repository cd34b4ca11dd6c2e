"""An in-memory stand-in for the confluent-kafka Consumer/Producer subset the sink uses.

One fake for unit tests and benchmarks alike (arroyo keeps a local backend beside its Kafka
one): partitions are lists, committed offsets carry metadata, paused partitions deliver
nothing, and an empty poll sleeps its timeout on the given ``Clock`` (``FakeClock`` in tests,
so idle timeouts and batch-close-by-time run without real waiting). Faults are switches:
``fail_commits`` makes the next N commits raise ``KafkaException`` like a lost coordinator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from wirecore.retry import Clock, SystemClock


class MemoryMessage:
    __slots__ = ("_topic", "_partition", "_offset", "_value", "_key", "_ts")

    def __init__(self, topic: str, partition: int, offset: int, value: bytes | None,
                 key: bytes | None = None, timestamp_ms: int | None = None) -> None:
        self._topic, self._partition, self._offset = topic, partition, offset
        self._value, self._key, self._ts = value, key, timestamp_ms

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes | None:
        return self._key

    def timestamp(self) -> tuple[int, int]:
        return (0, 0) if self._ts is None else (1, self._ts)


@dataclass
class MemoryBroker:
    """Topics as lists of partitions, plus one group's committed offsets (with metadata)."""

    partitions: dict[str, list[list[MemoryMessage]]] = field(default_factory=dict)
    committed: dict[tuple[str, int], tuple[int, str | None]] = field(default_factory=dict)

    def create(self, topic: str, partitions: int = 1) -> None:
        self.partitions.setdefault(topic, [[] for _ in range(partitions)])

    def append(self, topic: str, value: bytes | None, key: bytes | None = None, partition: int = 0) -> int:
        self.create(topic, partition + 1)
        log = self.partitions[topic][partition]
        log.append(MemoryMessage(topic, partition, len(log), value, key, 1_700_000_000_000))
        return len(log) - 1


class MemoryConsumer:
    def __init__(self, broker: MemoryBroker, clock: Clock | None = None) -> None:
        self.broker, self.clock = broker, clock or SystemClock()
        self.positions: dict[tuple[str, int], int] = {}
        self.paused: set[tuple[str, int]] = set()
        self.fail_commits = 0
        self.log: list[str] = []  # "commit 3", "commit 0 inflight:0-2", "pause", "resume"
        self.closed = False

    def subscribe(self, topics: list[str], on_assign: Callable | None = None,
                  on_revoke: Callable | None = None) -> None:
        parts = [TopicPartition(t, p) for t in topics for p in range(len(self.broker.partitions.get(t, [])))]
        for tp in self.committed(parts):
            self.positions[(tp.topic, tp.partition)] = max(tp.offset, 0)
        if on_assign:
            on_assign(self, parts)

    def committed(self, partitions: list[TopicPartition], timeout: float | None = None) -> list[TopicPartition]:
        out = []
        for tp in partitions:
            offset, meta = self.broker.committed.get((tp.topic, tp.partition), (-1001, None))
            out.append(TopicPartition(tp.topic, tp.partition, offset, **({"metadata": meta} if meta else {})))
        return out

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[MemoryMessage]:
        out: list[MemoryMessage] = []
        for key, pos in self.positions.items():
            if key in self.paused:
                continue
            log = self.broker.partitions[key[0]][key[1]]
            take = log[pos:pos + num_messages - len(out)]
            self.positions[key] = pos + len(take)
            out.extend(take)
            if len(out) >= num_messages:
                break
        if not out and timeout > 0:
            self.clock.sleep(timeout)
        return out

    def poll(self, timeout: float = -1) -> MemoryMessage | None:
        got = self.consume(1, timeout)
        return got[0] if got else None

    def commit(self, offsets: list[TopicPartition] | None = None, asynchronous: bool = False) -> None:
        if offsets is None:  # like confluent-kafka: the current positions
            offsets = [TopicPartition(t, p, o) for (t, p), o in self.positions.items()]
        if self.fail_commits:
            self.fail_commits -= 1
            self.log.append("commit failed")
            raise KafkaException(KafkaError(KafkaError._TRANSPORT, "coordinator unavailable"))
        for tp in offsets:
            self.broker.committed[(tp.topic, tp.partition)] = (tp.offset, tp.metadata)
            self.log.append(f"commit {tp.offset} {tp.metadata or ''}".strip())

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t, p in self.positions]

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [TopicPartition(tp.topic, tp.partition, self.positions.get((tp.topic, tp.partition), -1001))
                for tp in partitions]

    def get_watermark_offsets(self, tp: TopicPartition, timeout: float | None = None,
                              cached: bool = False) -> tuple[int, int]:
        return 0, len(self.broker.partitions[tp.topic][tp.partition])

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> dict[str, int]:
        """The broker answers a metadata request (topic -> partitions; stands in for
        confluent-kafka's ``ClusterMetadata``)."""
        return {t: len(p) for t, p in self.broker.partitions.items() if topic in (None, t)}

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused |= {(tp.topic, tp.partition) for tp in partitions}
        self.log.append("pause")

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.paused -= {(tp.topic, tp.partition) for tp in partitions}
        self.log.append("resume")

    def close(self) -> None:
        self.closed = True


class MemoryProducer:
    """Appends to the broker; ``unavailable`` keeps messages queued (flush returns the count)."""

    def __init__(self, broker: MemoryBroker) -> None:
        self.broker = broker
        self.queued: list[tuple[str, bytes, bytes | None]] = []
        self.unavailable = 0  # the next N flushes leave everything queued

    def produce(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self.queued.append((topic, value, key))

    def poll(self, timeout: float | None = None) -> int:
        """Serves callbacks and queued log lines in confluent-kafka; there are none here."""
        return 0

    def flush(self, timeout: float | None = None) -> int:
        if self.unavailable:
            self.unavailable -= 1
            return len(self.queued)
        for topic, value, key in self.queued:
            self.broker.append(topic, value, key)
        self.queued.clear()
        return 0
