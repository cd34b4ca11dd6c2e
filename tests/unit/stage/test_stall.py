"""A stage that reads nothing although records wait is reported, and rebuilt if it lasts;
one that reads nothing because it is caught up is left alone (processors/stall.py)."""

from __future__ import annotations

import threading

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from processors.health import WorkerHealth
from processors.stall import RECOVERED, REJOIN, STALLED, StallWatch
from processors.stories import EngineConfig
from processors.story_loop import StoryLoop
from processors.story_state import ShardState
from wirecore.retry import FakeClock
from wirecore.settings import Settings


class Now:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_quiet_and_caught_up_is_not_a_stall():
    now = Now()
    w = StallWatch(after_s=20, rejoin_after_s=45, check_every_s=5, now=now)
    now.t += 10
    assert not w.due()  # read something 10 s ago: no lag request at all
    now.t += 15
    assert w.due()
    assert w.observe({0: 0, 1: 0}) is None
    assert not w.due()  # caught up counts as progress: the next request is 20 s away
    now.t += 21
    assert w.due()


def test_unread_records_report_once_then_rejoin_then_report_again():
    now = Now()
    w = StallWatch(after_s=20, rejoin_after_s=45, check_every_s=5, now=now)
    now.t += 25
    assert w.observe({0: 120, 1: 0}) == STALLED
    verdicts = []
    for _ in range(9):  # 45 s of checks every 5 s
        now.t += 5
        assert w.due()
        verdicts.append(w.observe({0: 130, 1: 0}))
    assert verdicts[:-1] == [None] * 8 and verdicts[-1] == REJOIN
    assert not w.due()  # the rebuilt clients get after_s before the next lag request
    now.t += 20
    assert w.observe({0: 130}) is None  # still the same reported stall: no second report...
    now.t += 45
    assert w.observe({0: 130}) == REJOIN  # ...but another rebuild if it lasts
    assert w.progressed() is True  # reading again ends the reported stall
    assert w.progressed() is False


def test_a_reported_stall_that_turns_out_caught_up_recovers():
    now = Now()
    w = StallWatch(after_s=20, rejoin_after_s=45, check_every_s=5, now=now)
    now.t += 20
    assert w.observe({3: 7}) == STALLED
    now.t += 5
    assert w.observe({3: 0}) == RECOVERED


class StalledConsumer:
    """Assigned partition 0, polls return nothing, the broker holds 50 unread records."""

    def __init__(self, stop: threading.Event, polls: int, then: list | None = None,
                 committed_error: KafkaError | None = None) -> None:
        self.stop, self.polls, self.then = stop, polls, then or []
        self.closed = False
        self.committed_error = committed_error

    def consume(self, num_messages: int, timeout: float):
        if self.polls == 0:
            if not self.then:
                self.stop.set()
            return self.then.pop(0) if self.then else []
        self.polls -= 1
        return []

    def assignment(self):
        return [TopicPartition("wire.items", 0)]

    def get_watermark_offsets(self, tp, timeout=None, cached=False):
        return 0, 150

    def position(self, tps):
        return [TopicPartition("wire.items", 0, -1001)]  # fetcher never started

    def committed(self, tps, timeout=None):
        if self.committed_error is not None:
            raise KafkaException(self.committed_error)
        return [TopicPartition("wire.items", 0, 100)]

    def close(self) -> None:
        self.closed = True


def run_stalled(loop, stage: str, open_consumer) -> list[tuple[float, bool, str | None]]:
    """Run ``loop`` with fake clients (``open_consumer(loop)`` plays ``_open``), every poll one
    second of a fake clock; returns (time, ready, reason) after each poll."""
    now = Now()
    loop.stall = StallWatch(after_s=20, rejoin_after_s=45, check_every_s=5, now=now)
    readiness: list[tuple[float, bool, str | None]] = []

    def fake_open() -> None:
        open_consumer(loop)
        loop.health.started(stage)

    loop._open = fake_open
    orig_batch = loop._run_batch

    def timed_batch() -> None:
        now.t += 1
        orig_batch()
        rep = loop.health.report()
        readiness.append((now.t, rep["ready"], rep["stages"][stage]["reason"]))

    loop._run_batch = timed_batch
    loop.run()
    return readiness


def test_the_stories_loop_reports_a_stall_on_readyz_and_rebuilds_its_clients():
    stop = threading.Event()
    loop = StoryLoop(Settings(), "w-test", WorkerHealth(), stop, clock=FakeClock())
    consumers: list[StalledConsumer] = []

    def open_consumer(loop) -> None:
        loop.consumer = StalledConsumer(stop, polls=200 if not consumers else 3)
        consumers.append(loop.consumer)
        loop.producer = None
        loop.shards[0] = ShardState(EngineConfig())

    readiness = run_stalled(loop, "stories", open_consumer)
    reasons = [r for _, ready, r in readiness if not ready]
    assert reasons and reasons[0].startswith("stalled: 50 records unread")  # 150 - committed 100
    assert "p0 at 100 (committed; not fetching) of 150" in reasons[0]
    first_unready = next(t for t, ready, _ in readiness if not ready)
    assert first_unready - 1000 <= 21  # reported once nothing was read for 20 s
    assert len(consumers) == 2 and consumers[0].closed  # rebuilt after 45 s more of it


def test_an_assignment_restarts_the_quiet_time():
    now = Now()
    w = StallWatch(after_s=20, rejoin_after_s=45, check_every_s=5, now=now)
    now.t += 30  # an outage: nothing read for 30 s
    w.assigned()  # then the partitions come back, restored
    assert not w.due()
    now.t += 20
    assert w.due()


def test_the_parse_loop_reports_a_stall_too():
    from processors.parse_loop import ParseLoop

    stop = threading.Event()
    loop = ParseLoop(Settings(), "w-test", WorkerHealth(), stop, clock=FakeClock())
    opened: list[StalledConsumer] = []

    def open_consumer(loop) -> None:
        loop.consumer = StalledConsumer(stop, polls=30)
        opened.append(loop.consumer)
        loop.stall.assigned()

    reasons = [r for _, ready, r in run_stalled(loop, "parse", open_consumer) if not ready]
    assert reasons and reasons[0].startswith("stalled: 50 records unread")
    assert len(opened) == 1  # 30 s: reported, not yet rebuilt


def test_an_unreadable_committed_offset_is_a_stall_not_a_silent_skip():
    """The fetcher never started and the group cannot even say where it would (an unstable,
    pending transactional offset commit times out the lookup): that is reported too, with the
    error, counting every record the partition holds."""
    from wirecore.kafka_admin import unread_records

    consumer = StalledConsumer(threading.Event(), polls=0,
                               committed_error=KafkaError(KafkaError._TIMED_OUT, "timed out"))
    unread, detail = unread_records(consumer)
    assert unread == {("wire.items", 0): 150}
    assert detail[0].startswith("p0 at ? (committed offset unreadable:") and detail[0].endswith("of 150")


class BrokerAwayConsumer(StalledConsumer):
    """Polls return nothing and raise nothing (as confluent-kafka's do while every broker is
    down); every request to the broker times out until ``back`` is set."""

    def __init__(self, stop: threading.Event, polls: int, assigned: bool) -> None:
        super().__init__(stop, polls)
        self.assigned, self.back = assigned, False

    def assignment(self):
        return super().assignment() if self.assigned else []

    def _away(self) -> None:
        if not self.back:
            raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Broker transport failure"))

    def get_watermark_offsets(self, tp, timeout=None, cached=False):
        self._away()
        return 0, 100

    def position(self, tps):
        return [TopicPartition("wire.raw", 0, 100)]

    def list_topics(self, topic=None, timeout=-1):
        self._away()
        return {}

    def consume(self, num_messages: int, timeout: float):
        if self.polls == 40:
            self.back = True  # the broker answers again, and the stage is caught up
        return super().consume(num_messages, timeout)


def test_a_broker_that_does_not_answer_makes_an_idle_stage_not_ready_until_it_answers():
    """The parse loop of a parse-only worker polls empty, without an error, while the broker
    is away (at start: nothing assigned; mid-run: assigned): /readyz said ready throughout."""
    from processors.parse_loop import ParseLoop

    for assigned in (False, True):
        stop = threading.Event()
        loop = ParseLoop(Settings(), "w-test", WorkerHealth(), stop, clock=FakeClock())

        def open_consumer(loop, assigned=assigned, stop=stop) -> None:
            loop.consumer = BrokerAwayConsumer(stop, polls=60, assigned=assigned)
            loop.stall.assigned()

        readiness = run_stalled(loop, "parse", open_consumer)
        unready = [(t, r) for t, ready, r in readiness if not ready]
        assert unready, f"ready throughout an outage (assigned={assigned})"
        assert unready[0][1].startswith("kafka: the broker does not answer: ")
        assert "Broker transport failure" in unready[0][1]
        assert unready[0][0] - 1000 <= 21  # said once nothing was read for after_s (20 s)
        assert readiness[-1][1] is True  # the broker answered again: ready, without a restart
