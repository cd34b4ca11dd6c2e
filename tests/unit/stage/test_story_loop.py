"""The stories loop with fake Kafka clients: an infrastructure error pauses and retries
(never a dead letter, nothing committed), a defective item is dead-lettered inside the same
transaction as its good neighbours, and offsets go into the transaction before its commit."""

from __future__ import annotations

import threading
import time

import orjson
import pytest
from confluent_kafka import KafkaError, KafkaException

from processors import story_loop
from processors.health import WorkerHealth
from processors.stories import EngineConfig
from processors.story_loop import StoryLoop
from processors.story_state import ShardState
from schemas.models import WireItem
from wirecore.retry import FakeClock
from wirecore.settings import Settings


class FakeMessage:
    def __init__(self, offset: int, value: bytes, partition: int = 0) -> None:
        self._offset, self._value, self._partition = offset, value, partition

    def error(self):
        return None

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes:
        return self._value

    def key(self) -> bytes:
        return b"k"

    def topic(self) -> str:
        return "wire.items"

    def headers(self):
        return [("raw_ts_ms", b"1000")]


class FakeConsumer:
    def __init__(self, script: list, stop: threading.Event) -> None:
        self.script, self.stop = script, stop

    def consume(self, num_messages: int, timeout: float):
        if not self.script:
            self.stop.set()
            return []
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def consumer_group_metadata(self):
        return "meta"

    def assignment(self):
        return [("wire.items", 0)]

    def close(self) -> None:
        pass


class FakeProducer:
    def __init__(self, calls: list) -> None:
        self.calls = calls

    def init_transactions(self, timeout):
        self.calls.append(("init",))

    def begin_transaction(self):
        self.calls.append(("begin",))

    def produce(self, topic, value=None, key=None, partition=-1):
        self.calls.append(("produce", topic, partition))

    def send_offsets_to_transaction(self, offsets, meta, timeout):
        self.calls.append(("offsets", [(tp.partition, tp.offset) for tp in offsets]))

    def commit_transaction(self, timeout):
        self.calls.append(("commit",))

    def abort_transaction(self, timeout):
        self.calls.append(("abort",))

    def poll(self, timeout):  # serves callbacks and log lines: nothing to record
        return 0


def good_item(n: int) -> bytes:
    return orjson.dumps({
        "item_id": f"id{n}", "guid": f"g{n}", "source": "t", "format": "jsonl", "headline": f"Storm hits coast {n}",
        "body": "A storm hit the coast on Monday, cutting power to thousands of homes.",
        "language": "en", "published_at": "2026-01-05T10:00:00Z", "fetched_at": "2026-01-05T10:00:00Z",
        "content_hash": f"h{n}", "dateline": None, "places": [], "agencies": [], "updated_at": None,
        "url": None, "revision": None,
    })


def make_loop(script: list, producers: list | None = None):
    """``producers``: the producers the loop opens, in order (FakeProducer(calls) after them)."""
    stop = threading.Event()
    health = WorkerHealth()
    calls: list = []
    clock = FakeClock()
    loop = StoryLoop(Settings(), "w-test", health, stop, clock=clock)
    opened = {"n": 0}

    def fake_open() -> None:
        opened["n"] += 1
        loop.consumer = FakeConsumer(script, stop)
        loop.producer = producers.pop(0) if producers else FakeProducer(calls)
        loop.shards[0] = ShardState(EngineConfig())
        health.started("stories")

    loop._open = fake_open
    return loop, calls, clock, health, opened


def test_broker_errors_pause_and_retry_without_dead_letters():
    down = KafkaException(KafkaError(KafkaError._ALL_BROKERS_DOWN, "all brokers down"))
    loop, calls, clock, health, opened = make_loop([down, down, [FakeMessage(0, good_item(1))]])
    states = []
    orig = health.paused
    health.paused = lambda *a: (orig(*a), states.append(health.report()["ready"]))
    loop.run()
    assert states == [False, False]  # /readyz said not ready while paused
    assert len(clock.slept) == 2 and clock.slept[1] > clock.slept[0]  # the shared backoff
    assert opened["n"] == 3  # reconnected (and restored) after each failure
    assert not any(c[0] == "produce" and c[1].endswith("dlq") for c in calls)
    assert health.report()["ready"]  # resumed after the first committed batch


def test_a_defective_item_is_dead_lettered_in_the_batch_transaction():
    loop, calls, *_ = make_loop([[FakeMessage(0, good_item(1)), FakeMessage(1, b"{not json"),
                                  FakeMessage(2, good_item(2))]])
    loop.run()
    kinds = [c[0] for c in calls]
    assert kinds[0] == "begin" and kinds[-2:] == ["offsets", "commit"]
    produced = [c[1] for c in calls if c[0] == "produce"]
    assert produced.count("wire.dlq") == 1 and produced.count("wire.stories") == 2
    assert any(t == "wire.story-state" for t in produced)
    assert calls[-2] == ("offsets", [(0, 3)])  # past the dead letter: it is handled, not lost


def test_a_bug_ends_the_loop_loudly():
    loop, calls, *_ = make_loop([[FakeMessage(0, good_item(1))]])

    def broken_step(*_a, **_k):
        raise RuntimeError("engine bug")

    orig_open = loop._open

    def open_broken() -> None:
        orig_open()
        loop.shards[0].step = broken_step

    loop._open = open_broken
    try:
        loop.run()
    except RuntimeError as exc:
        assert "engine bug" in str(exc)
    else:
        raise AssertionError("a bug must not be swallowed")
    assert ("commit",) not in calls


class HangingProducer(FakeProducer):
    """send_offsets_to_transaction never returns (librdkafka#5456 after a broker restart)."""

    def __init__(self, calls: list, release: threading.Event) -> None:
        super().__init__(calls)
        self.release = release
        self.touched_after_hang: list[str] = []
        self.hung = False

    def send_offsets_to_transaction(self, offsets, meta, timeout):
        self.hung = True
        self.release.wait(30)

    def commit_transaction(self, timeout):
        self.touched_after_hang.append("commit")

    def abort_transaction(self, timeout):
        self.touched_after_hang.append("abort")


@pytest.fixture
def short_deadlines(monkeypatch):
    monkeypatch.setattr(story_loop, "TXN_CALL_TIMEOUT_S", 0.05)
    monkeypatch.setattr(story_loop, "TXN_CALL_GRACE_S", 0.05)


def test_a_hung_transactional_call_is_abandoned_and_the_stage_goes_on(short_deadlines):
    release = threading.Event()
    hung_calls: list = []
    hanging = HangingProducer(hung_calls, release)
    msg = [FakeMessage(0, good_item(1))]
    loop, calls, clock, health, opened = make_loop([msg, list(msg)], producers=[hanging])
    states = []
    orig = health.paused
    health.paused = lambda *a: (orig(*a), states.append((a[1], health.report()["ready"])))
    try:
        loop.run()
    finally:
        release.set()
    assert hanging.hung and hanging.touched_after_hang == []  # never called again once hung
    assert [p for p, _ in loop.abandoned] == [hanging]
    assert states == [("kafka", False)] and len(clock.slept) == 1  # paused loudly, backed off
    assert opened["n"] == 2  # a new producer (its init_transactions fences the hung one)
    assert calls[-2:] == [("offsets", [(0, 1)]), ("commit",)]  # the batch committed once, by it
    assert health.report()["ready"]


def test_too_many_hung_producers_end_the_worker_loudly(short_deadlines):
    release = threading.Event()
    msg = [FakeMessage(0, good_item(1))]
    n = story_loop.MAX_ABANDONED + 1
    loop, *_ = make_loop([list(msg) for _ in range(n)], producers=[HangingProducer([], release) for _ in range(n)])
    try:
        with pytest.raises(RuntimeError, match="hung"):
            loop.run()
    finally:
        release.set()


def test_a_broker_outage_seen_by_the_error_callback_pauses_once_and_resumes_when_quiet(monkeypatch):
    monkeypatch.setattr(story_loop, "CLIENT_ERROR_QUIET_S", 0.0)
    loop, calls, clock, health, opened = make_loop([[], []])
    loop._open()
    warnings = []
    orig = health.paused
    health.paused = lambda *a: (orig(*a), warnings.append(a))
    for _ in range(50):  # librdkafka reports every failed reconnect
        loop._on_client_error(KafkaError(KafkaError._TRANSPORT, "connection refused"))
    assert len(warnings) == 1 and not health.report()["ready"]
    time.sleep(0.01)
    loop.run()  # idle polls, no input: the broker answers again, partitions assigned
    assert health.report()["ready"] and loop.client_error_at is None


def test_a_batch_whose_features_fail_is_decided_item_by_item(monkeypatch):
    """The poll's features are computed in one pass; if that pass fails, the items are still
    decided (the engine computes each one's own), never dropped or dead-lettered as a group."""
    def broken(items, config):
        raise ValueError("batch features broke")

    monkeypatch.setattr(story_loop, "item_features", broken)
    loop, calls, *_ = make_loop([[FakeMessage(0, good_item(1)), FakeMessage(1, good_item(2))]])
    loop.run()
    produced = [c[1] for c in calls if c[0] == "produce"]
    assert produced.count("wire.stories") == 2 and "wire.dlq" not in produced
    assert calls[-2:] == [("offsets", [(0, 2)]), ("commit",)]


def test_the_loop_decides_a_batch_as_one_item_at_a_time():
    """Batch features give the events the engine gives one item at a time."""
    items = [good_item(n) for n in range(6)]
    loop, calls, *_ = make_loop([[FakeMessage(n, v) for n, v in enumerate(items)]])
    seen: list = []
    orig_open = loop._open

    def recording_open() -> None:
        orig_open()
        step = loop.shards[0].step
        loop.shards[0].step = lambda *a: (seen.append(step(*a)), seen[-1])[1]

    loop._open = recording_open
    loop.run()
    alone = ShardState(EngineConfig())
    expected = [alone.step(WireItem.from_dict(orjson.loads(v)), 1000) for v in items]
    assert [(e.story_id, e.relation, e.score, e.story.version) for e in seen] == [
        (e.story_id, e.relation, e.score, e.story.version) for e in expected]
    assert {e.relation for e in seen} >= {"new", "update"}


def test_copies_and_redeliveries_are_not_featurised(monkeypatch):
    """A replay after a restart re-reads items the shard has seen: their text analysis (most of
    an item's cost) is skipped, and they are still answered (copy / redelivery)."""
    asked: list[list[str]] = []
    real = story_loop.item_features

    def recording(items, config):
        asked.append([i.item_id for i in items])
        return real(items, config)

    monkeypatch.setattr(story_loop, "item_features", recording)
    copy = orjson.loads(good_item(1)) | {"item_id": "other-id"}  # same content hash h1
    loop, calls, *_ = make_loop([[FakeMessage(0, good_item(1)), FakeMessage(1, good_item(2))],
                                 [FakeMessage(2, good_item(1)), FakeMessage(3, orjson.dumps(copy)),
                                  FakeMessage(4, good_item(3))]])
    loop.run()
    assert asked == [["id1", "id2"], ["id3"]]  # the redelivery of id1 and the copy: no features
    produced = [c[1] for c in calls if c[0] == "produce"]
    assert produced.count("wire.stories") == 5
