"""A sink consumer that stays assigned but stops fetching is reported and rebuilt (the stall
watch of the other stages, processors/stall.py); the rebuilt consumer stores everything once."""

from __future__ import annotations

from processors.sink.consumer import SinkConsumer
from tests.unit.sink.sinkkit import DLQ, STORIES, FakeWriter, make_event
from wirecore.memory_kafka import MemoryBroker, MemoryConsumer, MemoryProducer
from wirecore.retry import FakeClock
from wirecore.settings import Settings


class DeafConsumer(MemoryConsumer):
    """Assigned, but its fetcher never starts: every poll is empty while records wait."""

    def consume(self, num_messages: int = 1, timeout: float = -1):
        if timeout > 0:
            self.clock.sleep(timeout)
        return []


def test_a_sink_that_stops_fetching_reports_the_stall_then_rebuilds_and_stores_everything_once():
    broker = MemoryBroker()
    broker.create(STORIES)
    broker.create(DLQ)
    for i in range(5):
        broker.append(STORIES, make_event(i), b"k")
    clock = FakeClock()
    writer = FakeWriter([])
    made: list[MemoryConsumer] = []
    seen: list[tuple[float, str | None]] = []

    def factory() -> MemoryConsumer:
        consumer = MemoryConsumer(broker, clock)
        made.append(consumer)
        return consumer

    deaf = DeafConsumer(broker, clock)
    settings = Settings(sink_batch_rows=100, sink_batch_ms=500)
    sink = SinkConsumer(settings, lambda: writer, consumer=deaf, producer=MemoryProducer(broker), clock=clock,
                        consumer_factory=factory)
    writer.log = deaf.log
    real_poll = sink._poll

    def watched_poll(n: int, timeout: float) -> int:
        seen.append((clock.monotonic(), sink.stalled.reason))
        if clock.monotonic() > 120:
            sink.stop_event.set()
        return real_poll(n, timeout)

    sink._poll = watched_poll
    sink.run()

    reported = [(t, r) for t, r in seen if r]
    assert reported, "the stall was never reported"
    first_t, reason = reported[0]
    assert 10 <= first_t < 20 and "5 records unread" in reason and "wire.stories:p0 at 0 of 5" in reason
    assert deaf.closed and len(made) == 1  # rebuilt once, after the stall lasted 15 s more
    assert writer.rows == {"items": 5, "story_items": 5, "stories": 5}  # everything, once
    assert broker.committed[(STORIES, 0)] == (5, None)
    assert sink.stalled.reason is None  # reading again clears /readyz
    assert seen[-1][1] is None


def test_a_quiet_caught_up_sink_is_not_a_stall():
    broker = MemoryBroker()
    broker.create(STORIES)
    broker.create(DLQ)
    broker.append(STORIES, make_event(0), b"k")
    clock = FakeClock()
    writer = FakeWriter([])
    consumer = MemoryConsumer(broker, clock)
    made: list[object] = []
    sink = SinkConsumer(Settings(sink_batch_rows=1), lambda: writer, consumer=consumer,
                        producer=MemoryProducer(broker), clock=clock, consumer_factory=lambda: made.append(1))
    writer.log = consumer.log
    sink.run(until_idle_s=120)
    assert writer.rows["items"] == 1
    assert clock.monotonic() > 120 and sink.stalled.reason is None and not made
