"""The health strip's readings from the sink's /metrics and /readyz (no sink needed)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest

from wirestream.dashboard.health import HealthSource, bucket_quantile, summarize_metrics
from wirestream.dashboard.health_view import health_strip


def sink_metrics(observations=(0.3, 0.6, 0.8, 1.2, 4.0), stuck: str | None = None, paused: int = 0) -> str:
    reg = CollectorRegistry()
    fresh = Histogram("wirestream_freshness_seconds", "f", buckets=(0.5, 1, 2, 5), registry=reg)
    for v in observations:
        fresh.observe(v)
    lag = Gauge("wirestream_consumer_lag", "l", ["group", "topic", "partition"], registry=reg)
    lag.labels("t1.wirestream-processors", "t1.wire.raw", "0").set(7)
    lag.labels("t1.wirestream-processors", "t1.wire.raw", "1").set(5)
    lag.labels("t1.wirestream-sink", "t1.wire.stories", "0").set(2)
    Gauge("wirestream_sink_paused", "p", registry=reg).set(paused)
    if stuck is not None:
        Gauge("wirestream_sink_stuck", "s", ["reason"], registry=reg).labels(stuck).set(1)
    return generate_latest(reg).decode()


def test_bucket_quantile_interpolates_like_prometheus():
    buckets = [(0.5, 1.0), (1.0, 3.0), (2.0, 4.0), (5.0, 5.0), (float("inf"), 5.0)]
    assert bucket_quantile(0.5, buckets) == pytest.approx(0.875)  # rank 2.5 inside (0.5, 1]
    assert bucket_quantile(0.99, buckets) == pytest.approx(2 + 3 * 0.95)
    assert bucket_quantile(0.5, []) is None and bucket_quantile(0.5, [(1.0, 0.0)]) is None


def test_summary_from_metrics_text_without_the_stuck_metric():
    s = summarize_metrics(sink_metrics())
    assert s["freshness_p50"] == pytest.approx(0.875) and s["freshness_count"] == 5
    assert s["lag"] == {"processors": 12, "sink": 2}
    assert s["paused"] is False and s["stuck"] is None and s["stuck_reason"] is None


def test_stuck_with_reason():
    s = summarize_metrics(sink_metrics(stuck="story_items rejected: schema mismatch"))
    assert s["stuck"] is True and s["stuck_reason"] == "story_items rejected: schema mismatch"


def fake_sink(metrics_text: str, ready: dict, status: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/metrics":
            return httpx.Response(200, text=metrics_text)
        return httpx.Response(status, json=ready)
    return httpx.MockTransport(handle)


def test_paused_sink_shows_its_reason_in_the_strip():
    src = HealthSource(lambda: "http://sink", transport=fake_sink(
        sink_metrics(paused=1), {"ready": False, "reasons": ["ClickHouse unavailable"]}, 503))
    reading = src.read()
    assert reading["sink"] == "paused" and reading["reasons"] == ["ClickHouse unavailable"]
    html = health_strip(reading, {"dead_letters_1h": 2, "items_per_minute": [1, 0, 3]})
    assert 'data-state="paused"' in html and "Sink paused" in html and "ClickHouse unavailable" in html
    assert 'id="h-lag-processors"' in html and 'data-value="12"' in html
    assert 'href="/dlq" data-value="2"' in html and 'id="h-ipm"' in html


def test_no_sink_is_a_state_not_an_error():
    assert HealthSource(lambda: None).read() == {"sink": "down", "error": "no running sink"}

    def refuse(request):
        raise httpx.ConnectError("refused")
    down = HealthSource(lambda: "http://127.0.0.1:9", transport=httpx.MockTransport(refuse)).read()
    assert down["sink"] == "down" and "did not answer" in down["error"]
    html = health_strip(down, None)
    assert "Sink not reachable" in html and html.count(">n/a<") >= 4
