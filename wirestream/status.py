"""``wirestream status``: what the pipeline is doing, as one JSON-ready dict.

``build_status`` is pure (lag readings + ClickHouse numbers in, dict out) so it is tested
without a broker; ``read_kafka`` and ``read_clickhouse`` are the two thin edges.
Topic high watermarks come from the same lag readings (every topic is read by one group).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

from wirecore import kafka_admin
from wirecore.kafka_admin import PartitionLag
from wirecore.settings import Settings
from wirecore.topology import READS
from wirestream.queries import stories_with_items
from wirestream.reader import Reader


@dataclass
class KafkaReading:
    at: float
    lags: dict[str, list[PartitionLag]]  # group -> partitions
    sink: dict | None = None  # the sink's /readyz at the same moment ({"ready", "reasons"}), None if not up
    members: dict[str, int] = field(default_factory=dict)  # group -> active consumers

    def highs(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for parts in self.lags.values():
            for p in parts:
                out[p.topic] = out.get(p.topic, 0) + max(p.high, 0)
        return out


@dataclass
class ClickHouseReading:
    items: int | None = None
    dlq: int | None = None
    stories: list[dict] = field(default_factory=list)
    error: str | None = None


def group_topics(settings: Settings) -> dict[str, list[str]]:
    """Which consumer group reads which topics."""
    return {settings.group(g): settings.topology.reads(g) for g in READS}


def read_kafka(settings: Settings, timeout_s: float = 5.0,
               reader: kafka_admin.LagReader | None = None) -> KafkaReading:
    """Raises ``KafkaUnavailable`` (one line) when the broker does not answer. ``reader``: the
    lag reader a repeating caller keeps open between readings (else one for this reading)."""
    groups = group_topics(settings)
    with contextlib.ExitStack() as own:
        if reader is None:
            reader = own.enter_context(kafka_admin.LagReader(settings, timeout_s))
        lags = {g: reader.lag(g, topics) for g, topics in groups.items()}
    members = kafka_admin.group_members(settings, list(groups), timeout_s)
    return KafkaReading(time.monotonic(), lags, read_sink_ready(settings), members)


def read_sink_ready(settings: Settings, timeout_s: float = 3.0) -> dict | None:
    """The running sink's /readyz (it says when a batch is stuck and why), or None."""
    import urllib.error
    import urllib.request

    import orjson

    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host
    try:
        with urllib.request.urlopen(f"http://{host}:{settings.metrics_port}/readyz", timeout=timeout_s) as resp:
            return orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:  # 503: not ready, with its reasons
        try:
            return orjson.loads(exc.read())
        except orjson.JSONDecodeError:
            return None
    except (OSError, orjson.JSONDecodeError):
        return None


def read_clickhouse(reader: Reader, database: str, story_limit: int = 10) -> ClickHouseReading:
    _, rows = reader.query(
        f"SELECT (SELECT count() FROM {database}.items FINAL), (SELECT count() FROM {database}.dlq FINAL)", {})
    items, dlq = rows[0]
    return ClickHouseReading(int(items), int(dlq), stories_with_items(reader, database, story_limit))


def throughput(prev: KafkaReading | None, cur: KafkaReading) -> dict[str, float | None]:
    """Messages/s per topic from high-watermark deltas (None without an earlier reading)."""
    highs = cur.highs()
    if prev is None or cur.at <= prev.at:
        return {t: None for t in highs}
    before = prev.highs()
    dt = cur.at - prev.at
    return {t: round(max(0, h - before.get(t, h)) / dt, 2) for t, h in highs.items()}


def build_status(settings: Settings, kafka: KafkaReading, clickhouse: ClickHouseReading,
                 rates: dict[str, float | None] | None = None) -> dict:
    topics: dict[str, dict] = {}
    for name in (settings.topic(t) for t in ("raw", "items", "stories", "dlq")):
        parts = [p for ps in kafka.lags.values() for p in ps if p.topic == name]
        topics[name] = {
            "exists": bool(parts),
            "partitions": len(parts),
            "high_watermark": sum(max(p.high, 0) for p in parts),
            "messages_per_s": (rates or {}).get(name),
        }
    lag = {}
    stalled = []
    for group, parts in kafka.lags.items():
        by_topic: dict[str, int] = {}
        for p in parts:
            by_topic[p.topic] = by_topic.get(p.topic, 0) + p.lag
        members = kafka.members.get(group)
        lag[group] = {"total": sum(by_topic.values()), "topics": by_topic, "consumers": members}
        if members == 0 and lag[group]["total"]:
            stalled.append(f"{group}: {lag[group]['total']} message(s) waiting and no consumer "
                           "running (start the pipeline: `wirestream up --follow`, or its worker/sink)")
    return {
        # a stage of the pipeline answers (a consumer in one of its groups, or the sink's
        # /readyz); always present, so a script reads .running the same way whether or not
        # the broker answered (nothing answering is {"running": false, "error": ...})
        "running": kafka.sink is not None or any(g["consumers"] for g in lag.values()),
        "topics": topics,
        "lag": lag,
        "dlq": {"topic": topics[settings.topic("dlq")]["high_watermark"], "clickhouse": clickhouse.dlq},
        "stories": [
            {"story_id": s["story_id"], "headline": s["headline"], "item_count": s["item_count"],
             "last_published_at": s["last_published_at"]}
            for s in clickhouse.stories
        ],
        "items_in_clickhouse": clickhouse.items,
        "sink": kafka.sink,
        "unconsumed": stalled,  # work waiting that nothing reads: `status --once` exits 3
        # a stuck sink is shown where ClickHouse problems are (the terminal view renders it red)
        "clickhouse_error": clickhouse.error or next(
            (r for r in (kafka.sink or {}).get("reasons", []) if r.startswith("sink stuck")), None),
    }
