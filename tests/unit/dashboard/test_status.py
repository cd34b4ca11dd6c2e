"""``wirestream status`` JSON assembly from fake lag/watermark readings (no broker)."""

from __future__ import annotations

import orjson

from wirecore.kafka_admin import PartitionLag
from wirecore.settings import Settings
from wirestream.status import ClickHouseReading, KafkaReading, build_status, throughput

S = Settings(topic_prefix="t1.", _env_file=None)


def reading(at: float, raw_high: tuple[int, int], raw_done: tuple[int, int], dlq_high: int = 0) -> KafkaReading:
    return KafkaReading(at, {
        "t1.wirestream-processors": [
            PartitionLag("t1.wire.raw", 0, raw_done[0], raw_high[0]),
            PartitionLag("t1.wire.raw", 1, raw_done[1], raw_high[1]),
            PartitionLag("t1.wire.items", 0, 7, 8),
        ],
        "t1.wirestream-sink": [
            PartitionLag("t1.wire.stories", 0, 8, 8),
            PartitionLag("t1.wire.dlq", 0, -1001, dlq_high),
        ],
    })


def test_status_json_shape_and_numbers():
    first = reading(10.0, (4, 4), (4, 4))
    second = reading(12.0, (10, 8), (6, 8), dlq_high=2)
    ch = ClickHouseReading(items=8, dlq=2, stories=[
        {"story_id": "s1", "headline": "Man shot", "item_count": 5, "last_published_at": "2026-01-24T16:46:00Z",
         "first_published_at": "x", "items": []}])
    st = build_status(S, second, ch, throughput(first, second))
    assert set(st) >= {"topics", "lag", "dlq", "stories", "items_in_clickhouse"}
    raw = st["topics"]["t1.wire.raw"]
    assert raw == {"exists": True, "partitions": 2, "high_watermark": 18, "messages_per_s": 5.0}
    assert st["topics"]["t1.wire.items"]["messages_per_s"] == 0.0
    assert st["lag"]["t1.wirestream-processors"] == {"total": 5, "topics": {"t1.wire.raw": 4, "t1.wire.items": 1},
                                                     "consumers": None}
    assert st["lag"]["t1.wirestream-sink"]["total"] == 2  # nothing committed on the dlq yet: all of it
    assert st["dlq"] == {"topic": 2, "clickhouse": 2}
    assert st["items_in_clickhouse"] == 8
    assert st["stories"] == [{"story_id": "s1", "headline": "Man shot", "item_count": 5,
                              "last_published_at": "2026-01-24T16:46:00Z"}]
    orjson.dumps(st)  # one JSON object for scripts


def test_missing_topics_and_no_earlier_reading():
    empty = KafkaReading(1.0, {"t1.wirestream-processors": [], "t1.wirestream-sink": []})
    st = build_status(S, empty, ClickHouseReading(error="waiting"), throughput(None, empty))
    assert all(not t["exists"] and t["high_watermark"] == 0 for t in st["topics"].values())
    assert st["lag"]["t1.wirestream-sink"] == {"total": 0, "topics": {}, "consumers": None}
    assert st["unconsumed"] == []
    assert st["dlq"] == {"topic": 0, "clickhouse": None} and st["clickhouse_error"] == "waiting"


def test_render_does_not_crash_on_either_shape():
    from rich.console import Console

    from wirestream.cmd_status import render

    console = Console(record=True, width=100)
    console.print(render(build_status(S, reading(1.0, (1, 1), (1, 1)), ClickHouseReading(items=2, dlq=0))))
    assert "t1.wire.raw" in console.export_text()


def test_work_waiting_with_no_consumer_is_called_out():
    """Lag with nobody in the group is a stalled pipeline, not a busy one; lag with
    consumers, or no lag, is not."""
    second = reading(12.0, (10, 8), (6, 8), dlq_high=2)
    second.members = {"t1.wirestream-processors": 0, "t1.wirestream-sink": 1}
    st = build_status(S, second, ClickHouseReading(items=8, dlq=2))
    assert st["lag"]["t1.wirestream-processors"]["consumers"] == 0
    assert len(st["unconsumed"]) == 1 and st["unconsumed"][0].startswith("t1.wirestream-processors: 5 message")
    second.members = {"t1.wirestream-processors": 2, "t1.wirestream-sink": 0}  # sink group: lag 2
    assert [x.split(":")[0] for x in build_status(S, second, ClickHouseReading())["unconsumed"]] == [
        "t1.wirestream-sink"]


def test_running_is_always_in_the_answer():
    stopped = build_status(S, reading(1.0, (1, 1), (1, 1)), ClickHouseReading(items=2, dlq=0))
    assert stopped["running"] is False  # no consumer counted, no sink /readyz
    live = reading(1.0, (1, 1), (1, 1))
    live.members = {"t1.wirestream-processors": 1}
    assert build_status(S, live, ClickHouseReading())["running"] is True
    live.members, live.sink = {}, {"ready": True, "reasons": []}
    assert build_status(S, live, ClickHouseReading())["running"] is True


def test_the_live_view_outlives_a_broker_that_goes_away(monkeypatch):
    """The broker stopping under a running `wirestream status` ended the view with
    `error: Kafka broker ... unreachable` and exit 1 (seen: a broker restart): now the error
    is shown, red, under the last reading, and the next answer replaces it."""
    import io

    from rich.console import Console

    from wirecore.errors import KafkaUnavailable
    from wirestream import cmd_status, status

    answers = ["ok", "ok", "down", "down", "ok", "down"]  # the first one is the start's check

    def read_kafka(settings, timeout_s=5.0, reader=None):
        if answers.pop(0) == "down":
            raise KafkaUnavailable("Kafka broker 127.0.0.1:1 unreachable: Broker transport failure")
        return reading(10.0 + len(answers), (4, 4), (4, 4))

    shown: list[str] = []

    def update(live, renderable, refresh=False):
        out = io.StringIO()
        Console(file=out, width=200).print(renderable)
        shown.append(out.getvalue())

    def sleep(seconds):
        if not answers:
            raise KeyboardInterrupt  # Ctrl-C ends the view, as a person does

    monkeypatch.setattr(status, "read_kafka", read_kafka)
    monkeypatch.setattr(status, "read_clickhouse", lambda *a, **kw: ClickHouseReading(items=3))
    monkeypatch.setattr("wirestream.dashboard.readers.ReaderSource.get", lambda self: None)
    monkeypatch.setattr(cmd_status.time, "sleep", sleep)
    monkeypatch.setattr("rich.live.Live.update", update)
    cmd_status.live_view(S, 1.0, 5)  # returns: nothing raised past the outage
    down = "Kafka: Kafka broker 127.0.0.1:1 unreachable"
    assert [down in view for view in shown] == [False, True, True, False, True]
    assert all("items in ClickHouse: 3" in view for view in shown)  # the last reading stays in view
