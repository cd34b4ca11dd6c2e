"""The sink's commit policy with a fake consumer and writer (STYLE §3, snuba test_consumer):
offsets are committed only after a successful write; the intent precedes the insert; a
failed batch is retried, never skipped; poison is split out to the DLQ."""

from __future__ import annotations

import orjson
import pytest
from confluent_kafka import TopicPartition

from processors.sink.consumer import SinkConsumer
from schemas.models import StoryEvent, StorySnapshot, WireItem, dumps
from wirecore.clickhouse import ClickHouseUnavailable, TableRejected
from wirecore.settings import Settings


def make_event(i: int) -> bytes:
    item = WireItem(
        item_id=f"{i:016x}", guid=f"g{i}", source="test", format="listing", headline=f"h{i}",
        body="b", dateline=None, places=[], agencies=["ANP"], language="nl",
        published_at="2026-01-24T12:00:00Z", updated_at=None, fetched_at="2026-01-24T17:00:00Z",
        url=None, revision=0, content_hash=f"{i:016x}",
    )
    snap = StorySnapshot(story_id=f"s{i}", version=1, headline=f"h{i}",
                         first_published_at="2026-01-24T12:00:00Z",
                         last_published_at="2026-01-24T12:00:00Z", item_count=1)
    return dumps(StoryEvent(item=item, story_id=f"s{i}", relation="new", score=1.0, evidence={},
                            story=snap, raw_timestamp_ms=1_700_000_000_000))


class FakeMsg:
    def __init__(self, topic, partition, offset, value):
        self._t, self._p, self._o, self._v = topic, partition, offset, value

    def error(self):
        return None

    def topic(self):
        return self._t

    def partition(self):
        return self._p

    def offset(self):
        return self._o

    def value(self):
        return self._v

    def key(self):
        return b"k"

    def timestamp(self):
        return (1, 1_700_000_000_000)


class FakeConsumer:
    def __init__(self, messages, stop):
        self.messages = list(messages)
        self.commits: list[tuple[str, int, int, str | None]] = []
        self.log: list[str] = []
        self.stop = stop
        self.paused = False

    def subscribe(self, topics, on_assign=None, on_revoke=None):
        self.topics = topics

    def poll(self, timeout):
        if self.messages:
            return self.messages.pop(0)
        self.stop()
        return None

    def consume(self, num_messages, timeout):
        msg = self.poll(timeout)
        return [msg] if msg is not None else []

    def commit(self, offsets, asynchronous=False):
        for tp in offsets:
            self.commits.append((tp.topic, tp.partition, tp.offset, tp.metadata))
            self.log.append(f"commit {tp.offset} {tp.metadata or ''}".strip())

    def pause(self, parts):
        self.paused = True

    def resume(self, parts):
        self.paused = False

    def assignment(self):
        return [TopicPartition("wire.stories", 0)]

    def close(self):
        pass


class FakeProducer:
    def __init__(self):
        self.sent = []

    def produce(self, topic, value, key=None):
        self.sent.append((topic, orjson.loads(value)))

    def flush(self, timeout=None):
        return 0


class FakeWriter:
    def __init__(self, log, fail_times=0, reject_item=None, stored_through=-1, reject_table=None):
        self.log, self.fail_times, self.reject_item = log, fail_times, reject_item
        self.reject_table = reject_table
        self.tokens: list[str] = []
        self.rows: dict[str, int] = {}
        self.progress: list[tuple] = []
        self._stored = stored_through

    def stored_through(self, topic, partition):
        return self._stored

    def write(self, inserts, token, progress=None, skip=frozenset()):
        """Like ClickHouseWriter: table by table; a refused table leaves earlier ones stored."""
        if self.fail_times:
            self.fail_times -= 1
            self.log.append("insert failed")
            raise ClickHouseUnavailable("connection refused")
        done = set(skip)
        for ins in inserts:
            if ins.table in done or not ins.rows:
                continue
            if self.reject_item and (self.reject_table in (None, ins.table)) and any(
                    r.get("item_id") == self.reject_item for r in ins.rows):
                raise TableRejected(ins.table, frozenset(done), "Cannot parse input: bad row")
            self.rows[ins.table] = self.rows.get(ins.table, 0) + len(ins.rows)
            done.add(ins.table)
        self.tokens.append(token)
        self.progress.append(progress)
        self.log.append(f"insert {token}")


def run_sink(messages, writer_kwargs=None, **settings_kw):
    settings = Settings(sink_batch_rows=settings_kw.get("rows", 3), sink_batch_ms=60_000)
    holder = {}
    consumer = FakeConsumer(messages, stop=lambda: holder["sink"].stop_event.set())
    producer = FakeProducer()
    writer = FakeWriter(consumer.log, **(writer_kwargs or {}))
    sink = SinkConsumer(settings, lambda: writer, consumer=consumer, producer=producer)
    holder["sink"] = sink
    sink._sleep = lambda s: None  # no real backoff in unit tests
    sink.run()
    return consumer, writer, producer


def msgs(n, start=0):
    return [FakeMsg("wire.stories", 0, start + i, make_event(start + i)) for i in range(n)]


def test_intent_then_insert_then_commit_next_offset():
    consumer, writer, _ = run_sink(msgs(3))
    assert consumer.log == ["commit 0 inflight:0-2", "insert wire.stories:0:0-2", "commit 3"]
    assert writer.rows == {"items": 3, "story_items": 3, "stories": 3}


def test_failed_insert_is_retried_and_never_committed_before_success():
    consumer, writer, _ = run_sink(msgs(3), {"fail_times": 2})
    assert consumer.log == [
        "commit 0 inflight:0-2", "insert failed", "insert failed",
        "insert wire.stories:0:0-2", "commit 3",
    ]
    assert not consumer.paused  # resumed after recovery


def test_poison_row_is_split_out_to_dlq_and_rest_is_stored():
    bad_id = f"{2:016x}"
    consumer, writer, producer = run_sink(msgs(4), {"reject_item": bad_id}, rows=4)
    assert writer.rows["items"] == 3
    assert [p[1]["origin_offset"] for p in producer.sent] == [2]
    assert "ClickHouse rejected the row" in producer.sent[0][1]["reason"]
    assert consumer.commits[-1][2] == 4  # past the poison, after everything else was stored


def test_undecodable_event_goes_to_dlq_with_original_bytes():
    messages = msgs(2) + [FakeMsg("wire.stories", 0, 2, b"{not json")]
    consumer, writer, producer = run_sink(messages)
    assert writer.rows["items"] == 2
    (topic, dl), = producer.sent
    assert topic == "wire.dlq" and dl["stage"] == "sink" and dl["origin_offset"] == 2
    import base64

    assert base64.b64decode(dl["original"]) == b"{not json"


@pytest.mark.parametrize("n", [1, 5, 7])
def test_every_offset_is_covered_exactly_once(n):
    consumer, writer, _ = run_sink(msgs(n))
    ranges = [tuple(map(int, t.rsplit(":", 1)[1].split("-"))) for t in writer.tokens]
    covered = [o for a, b in ranges for o in range(a, b + 1)]
    assert covered == list(range(n))
    assert consumer.commits[-1][2] == n


def test_progress_row_names_the_stored_range():
    _, writer, _ = run_sink(msgs(3))
    assert writer.progress == [("wire.stories", 0, 0, 2)]


def test_replay_of_stored_offsets_is_skipped_and_committed():
    """A consumer-group reset re-reads offsets 0..5; ClickHouse already holds 0..3."""
    consumer, writer, _ = run_sink(msgs(6), {"stored_through": 3})
    assert writer.tokens == ["wire.stories:0:4-5"]  # 0-2 skipped whole, 3 dropped from 3-5
    assert writer.rows["items"] == 2
    assert consumer.commits[-1][2] == 6


def test_splitting_around_poison_never_stores_a_row_twice():
    """stories refuses one row after items and story_items took the whole batch: the halves
    write only stories, so items keeps exactly one row per message."""
    bad_id = f"{5:016x}"
    consumer, writer, producer = run_sink(msgs(8), {"reject_item": bad_id, "reject_table": "stories"}, rows=8)
    assert writer.rows["items"] == 8 and writer.rows["story_items"] == 8
    assert writer.rows["stories"] == 7
    assert [p[1]["origin_offset"] for p in producer.sent] == [5]


class _Client:
    def __init__(self, message):
        self.message = message

    def raw_insert(self, *a, **kw):
        from clickhouse_connect.driver.exceptions import DatabaseError

        raise DatabaseError(self.message)


@pytest.mark.parametrize(("message", "outcome"), [
    ("Code: 27. DB::Exception: Cannot parse input: expected '\"' (CANNOT_PARSE_INPUT_ASSERTION_FAILED)", "rejected"),
    ("Code: 242. DB::Exception: Table is in readonly mode (TABLE_IS_READ_ONLY)", "transient"),
    ("Code: 999. DB::Exception: Coordination::Exception: Connection loss (KEEPER_EXCEPTION)", "transient"),
    ("Code: 60. DB::Exception: Unknown table expression identifier 'wirestream.items'", "schema"),
])
def test_insert_errors_are_classified_by_code(message, outcome):
    """Only data errors dead-letter a row; an outage pauses; a missing table stops the sink."""
    from wirecore.clickhouse import ClickHouseWriter, SchemaError, TableInsert

    writer = ClickHouseWriter(_Client(message), "wirestream")
    expected = {"rejected": TableRejected, "transient": ClickHouseUnavailable, "schema": SchemaError}[outcome]
    with pytest.raises(expected):
        writer.write([TableInsert("items", (), [{"item_id": "a"}])], "t:0:0-0")


class ResumingConsumer(FakeConsumer):
    """Delivers everything in one consume() call and reports an in-flight intent on assign."""

    def __init__(self, messages, stop, intent):
        super().__init__(messages, stop)
        self.intent = intent

    def subscribe(self, topics, on_assign=None, on_revoke=None):
        tp = TopicPartition("wire.stories", 0, self.intent[0], metadata=f"inflight:{self.intent[0]}-{self.intent[1]}")

        class _C:
            def committed(self, parts, timeout=None):
                return [tp]

        on_assign(_C(), [TopicPartition("wire.stories", 0)])

    def consume(self, num_messages, timeout):
        if self.messages:
            out, self.messages = self.messages, []
            return out
        self.stop()
        return []


def test_a_resumed_batch_keeps_exactly_its_recorded_range():
    """After a crash between insert and commit, the batch is rebuilt as 0-2 (same token),
    even though offsets 3-6 arrive in the same fetch."""
    settings = Settings(sink_batch_rows=100, sink_batch_ms=60_000)
    holder = {}
    consumer = ResumingConsumer(msgs(7), stop=lambda: holder["s"].stop_event.set(), intent=(0, 2))
    writer = FakeWriter(consumer.log)
    sink = SinkConsumer(settings, lambda: writer, consumer=consumer, producer=FakeProducer())
    holder["s"] = sink
    sink._sleep = lambda s: None
    sink.run()
    assert writer.tokens == ["wire.stories:0:0-2", "wire.stories:0:3-6"]
