"""Helpers for the stories-worker integration tests: feed ECB+ items, run workers as
subprocesses (the way ``up`` and deploys do), read topics back, and compute what an
uninterrupted engine per shard decides (the reference every run must match)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from confluent_kafka import Consumer, TopicPartition

from processors.stories import EngineConfig
from processors.story_state import ShardState
from schemas.models import StoryEvent, WireItem
from tests.support.paths import SHARED
from wirecore.errors import KafkaUnavailable
from wirecore.kafka_admin import group_lag


def ecb_jsonl(limit: int, languages: tuple[str, ...] = ("en",)) -> bytes:
    """ECB+ train docs as a JSON-lines backfill, spread-out times, languages cycled."""
    lines = (SHARED / "data/ecbplus/ecbplus_train.jsonl").read_bytes().splitlines()[:limit]
    start = datetime(2026, 1, 20, tzinfo=UTC)
    out = []
    for n, line in enumerate(lines):
        doc = orjson.loads(line)
        out.append(orjson.dumps({
            "guid": doc["id"], "headline": doc["title"], "body": doc["text"].replace("\n", " "),
            "published_at": doc["published_at"] or (start + timedelta(minutes=7 * n)).isoformat(),
            "language": languages[n % len(languages)],
        }))
    return b"\n".join(out) + b"\n"


def read_partitions(settings, topic: str) -> dict[int, list[bytes]]:
    """Every committed record of ``topic`` (read_committed), per partition in offset order."""
    c = Consumer(settings.kafka_conf() | {"group.id": f"reader-{time.time_ns()}", "enable.auto.commit": False,
                                          "isolation.level": "read_committed"})
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    # the real high watermark: a read_committed client is told the last stable offset, which
    # stops short of a killed worker's transaction until the broker aborts it
    probe = Consumer(settings.kafka_conf() | {"group.id": "probe", "isolation.level": "read_uncommitted"})
    highs = {p: probe.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1] for p in parts}
    probe.close()
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    out: dict[int, list[bytes]] = {p: [] for p in parts}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for m in c.consume(1000, timeout=0.5):
            if m.error() is None:
                out[m.partition()].append(m.value())
        pos = {tp.partition: tp.offset for tp in c.position([TopicPartition(topic, p) for p in parts])}
        if all(highs[p] == 0 or pos[p] >= highs[p] for p in parts):
            break
    c.close()
    return out


def start_worker(env: dict, log: Path, worker_id: str | None = None) -> subprocess.Popen:
    env = dict(env) | ({"WIRESTREAM_WORKER_ID": worker_id} if worker_id else {})
    with open(log, "ab") as fh:
        return subprocess.Popen([sys.executable, "-m", "processors.app"], env=env, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        proc.wait(30)


def processed(settings) -> int:
    """Items the stories loop has committed so far (sum of committed offsets). Asked again for
    up to 15 s while the broker cannot say (e.g. NOT_COORDINATOR as the group moves)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            lag = group_lag(settings, settings.group("stories"), [settings.topic("items")])
            return sum(max(p.committed, 0) for p in lag)
        except KafkaUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def wait_drained(settings, workers: list[subprocess.Popen], log: Path, expected_items: int,
                 timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            lags = [lag for g in ("processors", "stories") for lag in group_lag(settings, settings.group(g),
                                                                                settings.topology.reads(g))]
        except KafkaUnavailable:  # e.g. NOT_COORDINATOR while the group moves: ask again
            time.sleep(0.5)
            continue
        items_high = sum(p.high for p in lags if p.topic == settings.topic("items"))
        if items_high >= expected_items and all(p.lag == 0 for p in lags):
            return
        for w in workers:
            assert w.poll() is None, log.read_text()[-3000:]
        time.sleep(0.3)
    raise AssertionError(f"workers did not drain: {log.read_text()[-2000:]}")


def reference_events(settings, items_by_partition: dict[int, list[bytes]]) -> dict[int, list[StoryEvent]]:
    """What one uninterrupted engine per shard emits for the items in topic order."""
    cfg = EngineConfig(idle_hours=settings.story_idle_hours)
    out = {}
    for p, values in items_by_partition.items():
        shard = ShardState(cfg)
        out[p] = [shard.step(WireItem.from_dict(orjson.loads(v)), None) for v in values]
    return out


def decisions(events) -> list[tuple]:
    """What must be identical between runs: item, story, relation, version, redelivery."""
    return sorted((e.item.item_id, e.story_id, e.relation, e.story.version, e.redelivery) for e in events)


def version_problems(events: list[StoryEvent]) -> list[str]:
    """Per story, the versions of accepted items must be 1..n, each used once (no reuse, no
    gap); an exact duplicate (a redelivery included) is reported at the story's current
    version without creating one."""
    by_story: dict[str, list[int]] = defaultdict(list)
    for e in events:
        if e.relation != "duplicate":
            by_story[e.story_id].append(e.story.version)
    return [f"{sid}: {sorted(vs)[:20]}" for sid, vs in by_story.items() if sorted(vs) != list(range(1, len(vs) + 1))]



def read_topic(settings, topic: str) -> list[bytes]:
    """Every committed record of ``topic``, partition after partition."""
    return [v for values in read_partitions(settings, topic).values() for v in values]
