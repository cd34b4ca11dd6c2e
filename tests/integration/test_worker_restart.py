"""The faust worker killed (SIGKILL) and restarted mid-stream, through the real broker:
every item keeps the story id an uninterrupted engine gives it.

The reference is the in-process engine run over ``wire.items`` in topic order (the order
the stories agent saw). The worker rebuilds its engine from the RocksDB/changelog tables.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from processors.stages import story_stage
from processors.stories import EngineConfig, StoryEngine
from producers.formats import split_document
from producers.publisher import RawPublisher
from schemas.models import StoryEvent, WireItem
from tests.support.kafka_topics import read_topic
from tests.support.paths import SHARED
from tests.support.waiting import wait_until
from wirecore.kafka_admin import ensure_topics, group_lag
from wirecore.settings import load_settings

pytestmark = pytest.mark.integration


def ecb_jsonl(limit: int) -> bytes:
    """ECB+ train docs as a JSON-lines backfill, one item each, with spread-out times."""
    lines = (SHARED / "data/ecbplus/ecbplus_train.jsonl").read_bytes().splitlines()[:limit]
    start = datetime(2026, 1, 20, tzinfo=UTC)
    out = []
    for n, line in enumerate(lines):
        doc = orjson.loads(line)
        out.append(orjson.dumps({
            "guid": doc["id"], "headline": doc["title"], "body": doc["text"].replace("\n", " "),
            "published_at": doc["published_at"] or (start + timedelta(minutes=7 * n)).isoformat(),
            "language": "en",
        }))
    return b"\n".join(out) + b"\n"


def start_worker(env, log):
    with open(log, "ab") as fh:
        return subprocess.Popen([sys.executable, "-m", "processors.app"], env=env, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)


def test_story_ids_survive_a_worker_kill(ws_env, tmp_path):
    s = load_settings()
    ensure_topics(s)
    result = split_document(ecb_jsonl(240), "jsonl", source="ecb", fetched_at="2026-02-01T00:00:00Z")
    half = len(result.items) // 2
    publisher = RawPublisher(s)
    assert not publisher.publish(result.items[:half]).failed
    env = dict(os.environ)
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        def part_done() -> bool:  # kill once part of the stream has been processed
            assert worker.poll() is None, log.read_text()[-3000:]
            lag = group_lag(s, s.group("processors"), [s.topic("items")])
            return sum(p.committed for p in lag if p.committed > 0) >= half // 2

        wait_until(part_done, 120, "part of the stream to be processed")
        assert not publisher.publish(result.items[half:]).failed
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        worker = start_worker(env, log)
        def drained() -> bool:
            assert worker.poll() is None, log.read_text()[-3000:]
            lags = group_lag(s, s.group("processors"), [s.topic("raw"), s.topic("items")])
            return bool(lags) and all(p.lag == 0 for p in lags)

        wait_until(drained, 180, "the worker to drain", interval=0.5)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)

    items = [WireItem.from_dict(orjson.loads(v)) for v in read_topic(s, s.topic("items"))]
    events = [StoryEvent.from_dict(orjson.loads(v)) for v in read_topic(s, s.topic("stories"))]
    assert len({i.item_id for i in items}) == len(result.items)
    reference_engine = StoryEngine(EngineConfig(idle_hours=s.story_idle_hours))
    reference: dict[str, str] = {}
    for item in items:  # topic order = the order the agent saw, redeliveries included
        if item.item_id not in reference:
            reference[item.item_id] = story_stage(reference_engine, item, redelivery=False, raw_ts_ms=None)[0].story_id
    seen: dict[str, set[str]] = {}
    for ev in events:
        seen.setdefault(ev.item.item_id, set()).add(ev.story_id)
    assert set(seen) == set(reference)
    mismatched = {i: (sids, reference[i]) for i, sids in seen.items() if sids != {reference[i]}}
    assert not mismatched, f"{len(mismatched)} items changed story after the restart"
    stored = {ev.item.item_id for ev in events if not ev.redelivery}
    assert stored == set(reference), "every item has an event the sink stores (not only redeliveries)"
    assert len(set(reference.values())) > 10  # a real grouping, not one story for everything
