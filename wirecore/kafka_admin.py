"""Topic creation and consumer-lag reading with confluent-kafka's AdminClient.

Topics are created idempotently (an existing topic is fine) with partitions and replication
from settings. ``wire.items`` and its changelog ``wire.story-state`` have ``items_partitions``
partitions: one story shard (default: one language) per partition, one engine each.
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from wirecore.errors import KafkaUnavailable, UsageError
from wirecore.settings import Settings
from wirecore.topology import COMPACTED, ITEMS, STORY_STATE


def topic_plan(settings: Settings) -> dict[str, int]:
    """topic name -> partitions (see wirecore.topology)."""
    return settings.topology.plan()


QUIET = {"log_level": 0}  # people get one clear error line, not librdkafka's retry log
# How long a command waits for a broker's first answer before saying it is unreachable: a
# running broker answers metadata in milliseconds, and a wrong address used to cost `up` 30 s
# of silence before its one error line (`produce` said it after 10).
REACH_TIMEOUT_S = 10.0


def unreachable(bootstrap: str, exc: KafkaException,
                error: type[KafkaUnavailable] = KafkaUnavailable) -> KafkaUnavailable:
    """The one-line error for a broker that did not answer: librdkafka's reason in words
    ("Failed to get metadata: Local: Broker transport failure"), not its ``KafkaError{...}``
    repr; ``error``: the subclass the caller raises."""
    err = exc.args[0] if exc.args else None
    reason = err.str() if isinstance(err, KafkaError) else str(err if err is not None else exc)
    return error(f"Kafka broker {bootstrap} unreachable: {reason}")


def admin(settings: Settings) -> AdminClient:
    return AdminClient(settings.kafka_conf() | QUIET)


def ensure_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """Create missing topics; return the names created."""
    client = admin(settings)
    existing = partition_counts(settings, timeout_s, client)
    check_shard_partitions(settings, existing)
    compacted = {settings.topic(t) for t in COMPACTED}
    wanted = [
        NewTopic(name, num_partitions=n, replication_factor=settings.topic_replication,
                 config={"max.message.bytes": str(settings.max_message_bytes)}
                 | ({"cleanup.policy": "compact"} if name in compacted else {}))
        for name, n in topic_plan(settings).items()
        if name not in existing
    ]
    if not wanted:
        return []
    created = []
    for name, fut in client.create_topics(wanted, operation_timeout=timeout_s).items():
        try:
            fut.result()
            created.append(name)
        except KafkaException as exc:
            if exc.args[0].code() != 36:  # TOPIC_ALREADY_EXISTS: a racing creator won
                raise
    return created


def partition_counts(settings: Settings, timeout_s: float = 30.0,
                     client: AdminClient | None = None) -> dict[str, int]:
    """Every topic the cluster has -> its partition count; ``KafkaUnavailable`` (one line)."""
    try:
        md = (client or admin(settings)).list_topics(timeout=min(timeout_s, REACH_TIMEOUT_S))
    except KafkaException as exc:
        raise unreachable(settings.bootstrap, exc) from None
    return {name: len(t.partitions) for name, t in md.topics.items()}


def check_shard_partitions(settings: Settings, existing: dict[str, int]) -> None:
    """``UsageError`` when existing ``wire.items`` / ``wire.story-state`` have another partition
    count than ``WIRESTREAM_ITEMS_PARTITIONS``: a shard's partition is crc32(shard) % that
    setting, so the parse stage would send a shard to a partition that does not exist (it
    retried "Unknown partition" for ever, all later items waiting) or to another shard's
    engine (stories split). The count the topics were created with is the one to keep."""
    for topic in (settings.topic(ITEMS), settings.topic(STORY_STATE)):
        have = existing.get(topic)
        if have is not None and have != settings.items_partitions:
            raise UsageError(
                f"{topic} has {have} partitions but WIRESTREAM_ITEMS_PARTITIONS is {settings.items_partitions}: "
                f"set it to {have} (story shards are the partitions of existing topics; docs/operations.md)")


MARKER_SLACK = 4  # transaction markers a fully caught-up reader may still have ahead of it


def only_markers(consumer: Consumer, topic: str, partition: int, start: int, end: int,
                 timeout_s: float = 1.0) -> bool:
    """True when ``[start, end)`` holds no committed record, only transaction markers (or
    aborted records): a reader that committed ``start`` on a transactional topic such as
    ``wire.stories`` is caught up although the high watermark is ahead of it."""
    import time

    tp = TopicPartition(topic, partition, start)
    consumer.assign([tp])
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.1)
            if msg is not None and msg.error() is None:
                return False
            if consumer.position([tp])[0].offset >= end:
                return True
        return False
    finally:
        consumer.unassign()


@dataclass
class PartitionLag:
    topic: str
    partition: int
    committed: int
    high: int

    @property
    def lag(self) -> int:
        return max(0, self.high - max(self.committed, 0))


class LagReader:
    """Committed offsets vs high watermarks, through one consumer per group kept open between
    readings. A long-running reader (the sink's lag metric every 5 s and its ``/readyz``,
    ``up`` waiting for the pipeline to drain, ``status``'s live view) used to open a new
    client per reading: a connection and a metadata round trip each time (~0.5 s), and a
    readiness probe that slow is one an orchestrator times out. The consumers never
    subscribe (no group membership, no rebalances): ``committed`` asks the group coordinator.
    One reader per thread; ``close`` when done."""

    def __init__(self, settings: Settings, timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._consumers: dict[str, Consumer] = {}

    def _consumer(self, group: str) -> Consumer:
        consumer = self._consumers.get(group)
        if consumer is None:
            consumer = self._consumers[group] = Consumer(self.settings.kafka_conf() | QUIET | {
                "group.id": group, "enable.auto.commit": False,
                "isolation.level": "read_committed"})
        for _ in range(1000):  # errors queued between readings (a broker away), bounded
            if consumer.poll(0) is None:
                break
        return consumer

    def lag(self, group: str, topics: list[str]) -> list[PartitionLag]:
        """Per partition of ``topics``: ``group``'s committed offset and the high watermark;
        ``KafkaUnavailable`` (one line) when the broker does not answer."""
        timeout_s = self.timeout_s
        try:
            consumer = self._consumer(group)
            md = consumer.list_topics(timeout=timeout_s)
            tps = [
                TopicPartition(t, p)
                for t in topics
                if t in md.topics
                for p in sorted(md.topics[t].partitions)
            ]
            committed = consumer.committed(tps, timeout=timeout_s) if tps else []
            out = []
            for tp in committed:
                low, high = consumer.get_watermark_offsets(tp, timeout=timeout_s, cached=False)
                done = tp.offset if tp.offset >= 0 else low
                if 0 < high - done <= MARKER_SLACK and only_markers(consumer, tp.topic, tp.partition,
                                                                    done, high):
                    done = high
                out.append(PartitionLag(tp.topic, tp.partition, done, high))
            return out
        except KafkaException as exc:
            raise unreachable(self.settings.bootstrap, exc) from None

    def close(self) -> None:
        for consumer in self._consumers.values():
            consumer.close()
        self._consumers.clear()

    def __enter__(self) -> LagReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def group_lag(settings: Settings, group: str, topics: list[str], timeout_s: float = 10.0) -> list[PartitionLag]:
    """``LagReader.lag`` once, with a client of its own (for one-shot readings)."""
    with LagReader(settings, timeout_s) as reader:
        return reader.lag(group, topics)


def group_members(settings: Settings, groups: list[str], timeout_s: float = 10.0) -> dict[str, int]:
    """Active members of each consumer group (0: nobody consumes it now). A group the broker
    does not know (never joined) counts as 0."""
    client = admin(settings)  # held until the answers are in: a dropped client never answers
    futures = client.describe_consumer_groups(groups, request_timeout=timeout_s)
    out: dict[str, int] = {}
    for group, future in futures.items():
        try:
            out[group] = len(future.result(timeout=timeout_s).members)
        except TimeoutError:
            raise KafkaUnavailable(f"Kafka broker {settings.bootstrap} did not describe group {group} "
                                   f"within {timeout_s:.0f}s") from None
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if err is not None and hasattr(err, "code") and err.code() in (
                    KafkaError.GROUP_ID_NOT_FOUND, KafkaError._NOENT):
                out[group] = 0
                continue
            raise unreachable(settings.bootstrap, exc) from None
    return out


def unread_records(consumer: Consumer, timeout_s: float = 2.0) -> tuple[dict[tuple[str, int], int], list[str]]:
    """For a consumer's assigned partitions: records the broker holds beyond where the
    consumer reads (its position, or its committed offset while its fetcher has not
    started), keyed by (topic, partition), and a readable ``p<partition> at <offset> of
    <high>`` per partition (``<topic>:p<partition>`` when it reads several topics). 0 means
    caught up, also on transactional topics: the position moves past commit markers."""
    unread: dict[tuple[str, int], int] = {}
    detail: list[str] = []
    assigned = consumer.assignment()
    several = len({tp.topic for tp in assigned}) > 1
    for tp in assigned:
        low, high = consumer.get_watermark_offsets(tp, timeout=timeout_s, cached=False)
        pos = consumer.position([tp])[0].offset
        where = str(pos)
        if pos < 0:  # no fetcher yet: it would start at the committed offset, if the group says
            try:
                pos = consumer.committed([tp], timeout=timeout_s)[0].offset
                where = f"{pos} (committed; not fetching)"
            except KafkaException as exc:  # e.g. an unstable (pending transactional) offset
                pos, where = low, f"? (committed offset unreadable: {exc.args[0].str() if exc.args else exc})"
        unread[(tp.topic, tp.partition)] = max(0, high - max(pos, low, 0))
        name = f"{tp.topic}:p{tp.partition}" if several else f"p{tp.partition}"
        detail.append(f"{name} at {where} of {high}")
    return unread, detail
