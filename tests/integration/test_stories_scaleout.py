"""Two stories workers on a mixed-language stream share the shards (one engine per
``wire.items`` partition) and decide exactly what one engine per shard decides alone."""

from __future__ import annotations

import re

import orjson
import pytest

from producers.formats import split_document
from producers.publisher import RawPublisher
from schemas.models import StoryEvent
from tests.support.ports import free_port_pair
from tests.support.storykit import (
    decisions,
    ecb_jsonl,
    read_partitions,
    reference_events,
    start_worker,
    stop_worker,
    version_problems,
    wait_drained,
)
from tests.support.waiting import wait_until
from wirecore.kafka_admin import ensure_topics
from wirecore.settings import load_settings

pytestmark = pytest.mark.integration


LANGS = ("en", "nl", "de", "it")  # crc32 % 4 -> partitions 2, 1, 3, 0: every shard gets items


def test_two_workers_give_the_stories_of_one(ws_env, tmp_path, monkeypatch):
    monkeypatch.setenv("WIRESTREAM_ITEMS_PARTITIONS", "4")
    env = ws_env | {"WIRESTREAM_ITEMS_PARTITIONS": "4"}
    s = load_settings()
    ensure_topics(s)
    result = split_document(ecb_jsonl(400, LANGS), "jsonl", source="ecb", fetched_at="2026-02-01T00:00:00Z")
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    second_env = env | {"WIRESTREAM_METRICS_PORT": str(free_port_pair())}
    workers = [start_worker(env, logs[0], "w1"), start_worker(second_env, logs[1], "w2")]
    try:
        # both workers in the group (each restored at least one shard) before the stream starts,
        # so the test is about sharing the load, not about how fast a second worker joins
        wait_until(lambda: all(re.search(r"shard \d restored", log.read_text()) for log in logs if log.exists())
                   and all(log.exists() for log in logs), 90, "both workers owning shards")
        assert not RawPublisher(s).publish(result.items).failed
        wait_drained(s, workers, logs[0], len(result.items))
    finally:
        for w in workers:
            stop_worker(w)

    items = read_partitions(s, s.topic("items"))
    assert all(items[p] for p in range(4)), "every shard has items"
    events = [StoryEvent.from_dict(orjson.loads(v)) for vs in read_partitions(s, s.topic("stories")).values()
              for v in vs]
    reference = [e for es in reference_events(s, items).values() for e in es]
    assert decisions(events) == decisions(reference)
    assert not version_problems(events)
    assert all({lang} == set(e.story.languages) for e in events for lang in [e.item.language])
    shards = [set(re.findall(r"shard (\d) restored", log.read_text())) for log in logs]
    assert shards[0] and shards[1], f"both workers own shards: {shards}"
