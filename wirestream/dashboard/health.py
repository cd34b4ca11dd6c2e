"""Pipeline health for the strip on every page: the sink's own ``/metrics`` and ``/readyz``
(freshness, consumer lag per stage, paused/stuck and why) plus ClickHouse counts (dead letters
in the last hour, items stored per minute).

``summarize_metrics`` is pure (Prometheus text in, dict out); ``HealthSource`` is the thin edge
that fetches, with a short cache so many open pages cost one scrape. A metric that is absent
(an older sink without ``wirestream_sink_stuck``) is ``None``, shown as "n/a", never an error.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

FRESHNESS = "wirestream_freshness_seconds"
LAG = "wirestream_consumer_lag"
PAUSED = "wirestream_sink_paused"
STUCK = "wirestream_sink_stuck"


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """Prometheus ``histogram_quantile`` over cumulative (upper bound, count) buckets."""
    buckets = sorted(buckets)
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    prev_bound, prev_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return prev_bound
            if count == prev_count:
                return bound
            return prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = bound, count
    return prev_bound


def stage_of(group: str) -> str:
    """``t1.wirestream-processors`` -> ``processors`` (the stage people know)."""
    return group.rsplit("wirestream-", 1)[-1] if "wirestream-" in group else group


def summarize_metrics(text: str) -> dict:
    """freshness p50/p99 (s), lag per stage, paused/stuck flags and the stuck reason, from /metrics."""
    buckets: list[tuple[float, float]] = []
    lag: dict[str, int] = {}
    paused = stuck = None
    stuck_reason = None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == FRESHNESS + "_bucket":
                buckets.append((float(sample.labels["le"]), sample.value))
            elif sample.name == LAG:
                stage = stage_of(sample.labels.get("group", "?"))
                lag[stage] = lag.get(stage, 0) + int(sample.value)
            elif sample.name == PAUSED:
                paused = bool(sample.value)
            elif sample.name == STUCK:
                stuck = bool(sample.value) or bool(stuck)
                if sample.value and sample.labels.get("reason"):
                    stuck_reason = sample.labels["reason"]
    return {
        "freshness_p50": bucket_quantile(0.5, buckets),
        "freshness_p99": bucket_quantile(0.99, buckets),
        "freshness_count": int(max((c for _, c in buckets), default=0)),
        "lag": dict(sorted(lag.items())),
        "paused": paused,
        "stuck": stuck,
        "stuck_reason": stuck_reason,
    }


class HealthSource:
    """Reads the sink's endpoints (``sink_url()`` returns None while no sink runs)."""

    def __init__(self, sink_url: Callable[[], str | None], ttl_s: float = 2.0, timeout_s: float = 2.0,
                 transport: httpx.BaseTransport | None = None):
        self._sink_url = sink_url
        self._transport = transport
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._cached: tuple[float, dict] | None = None

    def read(self) -> dict:
        now = time.monotonic()
        if self._cached and now - self._cached[0] < self._ttl_s:
            return self._cached[1]
        result = self._fetch()
        self._cached = (now, result)
        return result

    def _fetch(self) -> dict:
        url = self._sink_url()
        if not url:
            return {"sink": "down", "error": "no running sink"}
        try:
            with httpx.Client(base_url=url, timeout=self._timeout_s, transport=self._transport) as http:
                metrics = http.get("/metrics")
                ready = http.get("/readyz")
        except httpx.HTTPError as exc:
            return {"sink": "down", "error": f"sink at {url} did not answer ({type(exc).__name__})"}
        out = summarize_metrics(metrics.text) if metrics.status_code == 200 else {}
        try:
            body = ready.json()
        except ValueError:
            body = {}
        out["ready"] = bool(body.get("ready", ready.status_code == 200))
        out["reasons"] = [str(r) for r in body.get("reasons") or []]
        out["sink"] = "stuck" if out.get("stuck") else "paused" if out.get("paused") else \
            "ready" if out["ready"] else "not ready"
        out["url"] = url
        return out
