"""The parse loop with fake Kafka clients: offsets are committed only after every produced
item was delivered; a failed delivery or a broker error commits nothing and pauses (the batch
is parsed again, never dead-lettered); a bad raw item is a dead letter and its neighbours go on."""

from __future__ import annotations

import threading

from confluent_kafka import KafkaError, KafkaException

from processors.health import WorkerHealth
from processors.parse_loop import ParseLoop
from wirecore.retry import FakeClock
from wirecore.settings import Settings

GOOD = b"MINNEAPOLIS (ANP) - De gouverneur wil een eigen onderzoek naar de schietpartij.\n14 minuten geleden"
HEADERS = [("source", b"anp"), ("format", b"listing"), ("fetched_at", b"2026-01-24T18:00:00+01:00")]


class Msg:
    def __init__(self, offset: int, value: bytes) -> None:
        self._offset, self._value = offset, value

    def error(self):
        return None

    def topic(self) -> str:
        return "wire.raw"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes:
        return self._value

    def key(self) -> bytes:
        return b"k"

    def headers(self):
        return HEADERS

    def timestamp(self):
        return (1, 1_700_000_000_000)


class FakeConsumer:
    def __init__(self, script: list, stop: threading.Event, calls: list) -> None:
        self.script, self.stop, self.calls = script, stop, calls

    def consume(self, num_messages: int, timeout: float):
        if not self.script:
            self.stop.set()
            return []
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def commit(self, offsets, asynchronous: bool):
        assert asynchronous is False
        self.calls.append(("commit", [(tp.partition, tp.offset) for tp in offsets]))

    def assignment(self):
        return [("wire.raw", 0)]

    def close(self) -> None:
        pass


class FakeProducer:
    def __init__(self, calls: list, fail_deliveries: list[bool]) -> None:
        self.calls, self.fail, self.pending = calls, fail_deliveries, []

    def produce(self, topic, value=None, key=None, partition=-1, headers=None, on_delivery=None):
        self.calls.append(("produce", topic, partition))
        self.pending.append(on_delivery)

    def flush(self, timeout):
        fail = self.fail.pop(0) if self.fail else False
        for cb in self.pending:
            cb(KafkaError(KafkaError._MSG_TIMED_OUT) if fail else None, None)
        self.pending = []
        self.calls.append(("flush",))
        return 0

    def poll(self, timeout):
        return 0


def make_loop(script: list, fail_deliveries: list[bool] | None = None):
    stop, calls, clock, health = threading.Event(), [], FakeClock(), WorkerHealth()
    loop = ParseLoop(Settings(items_partitions=4), "w", health, stop, clock=clock)

    def fake_open() -> None:
        loop.consumer = FakeConsumer(script, stop, calls)
        loop.producer = FakeProducer(calls, fail_deliveries or [])
        health.started("parse")

    loop._open = fake_open
    loop.health = health
    return loop, calls, clock


def test_commit_only_after_every_delivery():
    loop, calls, _ = make_loop([[Msg(0, GOOD), Msg(1, b""), Msg(2, GOOD)]])
    loop.run()
    kinds = [c[0] for c in calls]
    assert kinds.index("commit") > kinds.index("flush")
    produced = [c[1] for c in calls if c[0] == "produce"]
    assert produced == ["wire.items", "wire.dlq", "wire.items"]  # the empty item, not its neighbours
    assert all(c[2] in range(4) for c in calls if c[0] == "produce" and c[1] == "wire.items")
    assert ("commit", [(0, 3)]) in calls


def test_failed_delivery_commits_nothing_and_retries_the_batch():
    loop, calls, clock = make_loop([[Msg(0, GOOD)], [Msg(0, GOOD)]], fail_deliveries=[True, False])
    loop.run()
    commits = [c for c in calls if c[0] == "commit"]
    assert commits == [("commit", [(0, 1)])]  # only after the second, delivered attempt
    assert len(clock.slept) == 1
    assert not any(c[0] == "produce" and c[1] == "wire.dlq" for c in calls)


def test_broker_down_pauses_without_dead_letters():
    down = KafkaException(KafkaError(KafkaError._ALL_BROKERS_DOWN, "all brokers down"))
    loop, calls, clock = make_loop([down, [Msg(5, GOOD)]])
    loop.run()
    assert len(clock.slept) == 1 and ("commit", [(0, 6)]) in calls
    assert not any(c[0] == "produce" and c[1] == "wire.dlq" for c in calls)


def test_a_paused_loop_with_nothing_to_parse_resumes_once_the_broker_answers():
    """/readyz must not stay 503 after an outage just because no new raw item arrived."""
    down = KafkaException(KafkaError(KafkaError._ALL_BROKERS_DOWN, "all brokers down"))
    loop, calls, clock = make_loop([down, [], []])
    loop.run()
    assert len(clock.slept) == 1 and not any(c[0] == "commit" for c in calls)
    assert loop.health.report()["ready"]  # a clean poll with partitions assigned: resumed
