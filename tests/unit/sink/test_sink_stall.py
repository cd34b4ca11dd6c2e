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


def test_readyz_over_http_names_the_stall_and_clears_when_reading_again():
    """What an operator (or a k8s readiness probe) fetches: 503 with the stall's one line while
    the sink is stalled, 200 once it reads again."""
    import urllib.error
    import urllib.request

    import orjson

    from wirestream.owner_api import HealthServer
    from wirestream.sink_service import sink_readiness

    broker = MemoryBroker()
    broker.create(STORIES)
    broker.create(DLQ)
    clock = FakeClock()
    sink = SinkConsumer(Settings(), lambda: FakeWriter([]), consumer=MemoryConsumer(broker, clock),
                        producer=MemoryProducer(broker), clock=clock)
    server = HealthServer(lambda: sink_readiness(sink, lambda: None, lambda: 0, 1000), "127.0.0.1", 0)
    server.start()

    def readyz() -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"{server.url}/readyz", timeout=5) as resp:
                return resp.status, orjson.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, orjson.loads(exc.read())

    try:
        assert readyz() == (200, {"ready": True, "reasons": ["ok"]})
        sink.stalled.paused("sink", "stalled", "5 records unread for 12 s (wire.stories:p0 at 0 of 5)", 15)
        status, body = readyz()
        assert status == 503 and body["ready"] is False
        assert body["reasons"] == ["sink stalled: 5 records unread for 12 s (wire.stories:p0 at 0 of 5)"]
        sink.stalled.resumed("sink")
        assert readyz()[0] == 200
    finally:
        server.stop()


def test_readiness_names_every_reason_at_once():
    clock = FakeClock()
    broker = MemoryBroker()
    sink = SinkConsumer(Settings(), lambda: FakeWriter([]), consumer=MemoryConsumer(broker, clock),
                        producer=MemoryProducer(broker), clock=clock)

    def down() -> None:
        raise ConnectionError("Connection refused\nlong trace")

    def no_broker() -> int:
        raise RuntimeError("broker transport failure")

    from wirestream.sink_service import sink_readiness

    ok, reasons = sink_readiness(sink, down, no_broker, 10)
    assert not ok and reasons == ["clickhouse: Connection refused", "kafka: broker transport failure"]
    ok, reasons = sink_readiness(sink, lambda: None, lambda: 11, 10)
    assert not ok and reasons == ["sink lag 11 > 10"]
