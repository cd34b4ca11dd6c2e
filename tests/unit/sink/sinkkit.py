"""Shared pieces of the sink unit tests: story events, a ClickHouse-like fake writer, and a
sink wired to wirecore.memory_kafka with a FakeClock."""

from __future__ import annotations

from processors.sink.consumer import SinkConsumer
from processors.sink.partitions import PARTITION_COLUMNS, month_of
from schemas.models import StoryEvent, StorySnapshot, WireItem, dumps
from wirecore.clickhouse import InsertRejected, InsertUnavailable
from wirecore.clickhouse_codes import Code
from wirecore.memory_kafka import MemoryBroker, MemoryConsumer, MemoryProducer
from wirecore.retry import FakeClock
from wirecore.settings import Settings

STORIES, DLQ = "wire.stories", "wire.dlq"


def make_event(i: int, published_at: str = "2026-01-24T12:00:00Z") -> bytes:
    item = WireItem(
        item_id=f"{i:016x}", guid=f"g{i}", source="test", format="listing", headline=f"h{i}",
        body="b", dateline=None, places=[], agencies=["ANP"], language="nl",
        published_at=published_at, updated_at=None, fetched_at="2026-01-24T17:00:00Z",
        url=None, revision=0, content_hash=f"{i:016x}",
    )
    snap = StorySnapshot(story_id=f"s{i}", version=1, headline=f"h{i}", first_published_at=published_at,
                         last_published_at=published_at, item_count=1)
    return dumps(StoryEvent(item=item, story_id=f"s{i}", relation="new", score=1.0, evidence={},
                            story=snap, raw_timestamp_ms=1_700_000_000_000))


class FakeWriter:
    """Like ClickHouse + ClickHouseWriter: table by table, a token stored once per table, a refused
    table leaves earlier ones stored, blocks over ``max_partitions`` months refused with 252."""

    def __init__(self, log: list[str], *, fail_times: int = 0, fail_code: int | None = None,
                 reject_item: str | None = None, reject_table: str | None = None, stored_through: int = -1,
                 max_partitions: int = 100):
        self.log, self.fail_times, self.fail_code = log, fail_times, fail_code
        self.reject_item, self.reject_table, self.max_partitions = reject_item, reject_table, max_partitions
        self.tokens: list[str] = []
        self.rows: dict[str, int] = {}
        self.seen_tokens: set[str] = set()
        self.progress: list[tuple] = []
        self._stored = stored_through

    def stored_through(self, topic, partition):
        done = [p[3] for p in self.progress if p and p[:2] == (topic, partition)]
        return max([self._stored, *done])

    def write(self, inserts, token, progress=None, skip=frozenset()):
        if self.fail_times:
            self.fail_times -= 1
            self.log.append("insert failed")
            raise InsertUnavailable("connection refused", self.fail_code)
        done = set(skip)
        for ins in inserts:
            if ins.table in done or not ins.rows:
                continue
            column = PARTITION_COLUMNS.get(ins.table)
            if column and len({month_of(r[column]) for r in ins.rows}) > self.max_partitions:
                raise InsertUnavailable("Too many partitions for single INSERT block", Code.TOO_MANY_PARTS)
            if self.reject_item and self.reject_table in (None, ins.table) and any(
                    r.get("item_id") == self.reject_item for r in ins.rows):
                raise InsertRejected(ins.table, frozenset(done), "Cannot parse input: bad row", 27)
            if f"{token}:{ins.table}" not in self.seen_tokens:
                self.seen_tokens.add(f"{token}:{ins.table}")
                self.rows[ins.table] = self.rows.get(ins.table, 0) + len(ins.rows)
            done.add(ins.table)
        self.tokens.append(token)
        self.progress.append(progress)
        self.log.append(f"insert {token}")


def make_sink(broker: MemoryBroker, writer: FakeWriter, *, rows: int = 3, clock: FakeClock | None = None,
              **settings_kw):
    clock = clock or FakeClock()
    settings = Settings(sink_batch_rows=rows, sink_batch_ms=settings_kw.pop("ms", 60_000), **settings_kw)
    consumer, producer = MemoryConsumer(broker, clock), MemoryProducer(broker)
    sink = SinkConsumer(settings, lambda: writer, consumer=consumer, producer=producer, clock=clock)
    writer.log = consumer.log  # one ordered log of commits and inserts
    return sink, consumer, producer


def run_sink(events: list[bytes], writer_kwargs: dict | None = None, *, rows: int = 3, broker=None):
    broker = broker or MemoryBroker()
    broker.create(STORIES)
    broker.create(DLQ)
    for e in events:
        broker.append(STORIES, e, b"k")
    writer = FakeWriter([], **(writer_kwargs or {}))
    sink, consumer, producer = make_sink(broker, writer, rows=rows)
    sink.run(until_idle_s=1.0)
    return consumer, writer, broker, sink


def dead_letters(broker: MemoryBroker) -> list[dict]:
    import orjson

    return [orjson.loads(m.value()) for m in broker.partitions[DLQ][0]]


def commits(consumer: MemoryConsumer) -> list[str]:
    return [e for e in consumer.log if e.startswith("commit")]
