"""librdkafka's log goes through ours (wirecore.logs.kafka_logger): in the configured format,
and one line of a kind per minute with the count of those held back, not ~20 a second for
as long as a broker is away (the console script under an outage: tests/integration/
test_operator_faults.py)."""

from __future__ import annotations

import logging

from wirecore.logs import Repeats
from wirecore.settings import Settings


class Now:
    t = 100.0

    def __call__(self) -> float:
        return self.t


def record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord("wirestream.kafka", logging.ERROR, __file__, 1, msg, args, None)


def test_one_line_of_a_kind_per_window_then_the_count_held_back():
    now = Now()
    f = Repeats(every_s=60, clock=now)
    refused = "FAIL [rdkafka#consumer-%d] 127.0.0.1:%d/bootstrap: Connect failed: Connection refused (after %dms)"
    shown = []
    for i in range(1200):  # a minute at 20 a second, the port's digits changing as a time would
        now.t += 0.05
        r = record(refused, 2, 29499, i)
        if f.filter(r):
            shown.append(r.getMessage())
    other = record("FAIL [rdkafka#producer-1] Connect failed: Connection refused")
    assert f.filter(other)  # another kind is not held back by the first
    now.t += 1
    r = record(refused, 2, 29499, 0)
    assert f.filter(r) and r.getMessage().endswith("(1199 more like it in the last 60s)")
    assert len(shown) == 1 and "more like it" not in shown[0]


def test_every_kafka_client_logs_through_it():
    logger = Settings().kafka_conf()["logger"]
    assert logger.name == "wirestream.kafka"
    assert sum(isinstance(f, Repeats) for f in logger.filters) == 1
    Settings().kafka_conf()
    assert sum(isinstance(f, Repeats) for f in logger.filters) == 1  # installed once
