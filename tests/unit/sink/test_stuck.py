"""No silent stall: one cause failing past the policy's bound is *stuck* (what, code, hint),
the gauge is set, and the first success clears it; nothing is skipped meanwhile."""

from __future__ import annotations

from processors import metrics
from processors.sink.retrier import Retrier
from tests.unit.sink.sinkkit import make_event, run_sink
from wirecore.clickhouse import InsertUnavailable
from wirecore.clickhouse_codes import Code
from wirecore.retry import FakeClock, RetryPolicy


def make_retrier(clock: FakeClock, give_up_after: int = 3) -> tuple[Retrier, list[str]]:
    import threading

    calls: list[str] = []
    r = Retrier(RetryPolicy(initial=1, cap=4, jitter=0, give_up_after=give_up_after), clock, threading.Event(),
                pause=lambda: calls.append("pause"), resume=lambda: calls.append("resume"), idle=clock.sleep)
    return r, calls


def failing(codes: list[int | None], seen: list):
    def action():
        seen.append(None)
        if codes:
            raise InsertUnavailable("boom", codes.pop(0))
        return "stored"
    return action


def test_same_code_past_the_bound_is_stuck_and_cleared_on_success():
    clock = FakeClock()
    r, calls = make_retrier(clock)
    snapshots = []

    def action():
        snapshots.append(r.stuck)
        if len(snapshots) <= 4:
            raise InsertUnavailable("too many parts", Code.TOO_MANY_PARTS)
        return "stored"

    assert r.run(action, "insert t:0:0-9") == "stored"
    assert snapshots[3] is not None and snapshots[3].code == "252 TOO_MANY_PARTS"
    assert snapshots[3].what == "insert t:0:0-9" and "merges" in snapshots[3].hint
    assert r.stuck is None and metrics.SINK_STUCK._value.get() == 0
    assert clock.slept == [1, 2, 4, 4] and calls == ["pause", "resume"]


def test_a_new_code_restarts_the_count():
    clock = FakeClock()
    r, _ = make_retrier(clock)
    seen: list = []
    codes = [Code.NOT_ENOUGH_SPACE, Code.NOT_ENOUGH_SPACE, None, None]
    states = []
    action = failing(codes, seen)

    def watched():
        states.append(r.stuck)
        return action()

    r.run(watched, "insert")
    assert all(s is None for s in states)  # never 3 of the same cause in a row
    assert clock.slept == [1, 2, 1, 2]


def test_stuck_gauge_is_set_while_stuck():
    clock = FakeClock()
    r, _ = make_retrier(clock, give_up_after=1)
    gauge = []
    codes = [395, 395]
    r.run(lambda: (gauge.append(metrics.SINK_STUCK._value.get()), failing(codes, [])()), "insert")
    assert gauge == [0, 1, 1] and metrics.SINK_STUCK._value.get() == 0


def test_sink_reports_stuck_then_stores_everything():
    consumer, writer, _, sink = run_sink([make_event(i) for i in range(3)], {"fail_times": 8, "fail_code": 243})
    assert writer.tokens == ["wire.stories:0:0-2"] and writer.rows["items"] == 3
    assert sink.retrier.stuck is None
    assert consumer.log.count("insert failed") == 8


def test_stop_while_failing_gives_up_uncommitted_after_the_grace():
    from tests.unit.sink.sinkkit import STORIES, FakeWriter, make_sink
    from wirecore.memory_kafka import MemoryBroker

    broker = MemoryBroker()
    broker.create("wire.dlq")
    for i in range(3):
        broker.append(STORIES, make_event(i))
    writer = FakeWriter([], fail_times=10**6, fail_code=243)
    sink, consumer, _ = make_sink(broker, writer)
    real_write = writer.write

    def write(*a, **kw):
        if consumer.log.count("insert failed") == 3:
            sink.stop_event.set()  # SIGTERM during a disk-full outage
        return real_write(*a, **kw)

    writer.write = write
    sink.run()
    assert broker.committed[(STORIES, 0)] == (0, "inflight:0-2")  # the intent only: replayed next start
    assert writer.tokens == [] and consumer.closed
