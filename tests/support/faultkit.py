"""Tools for the sink fault tests: a synthetic story-event stream with poison in it, a sink
process to kill and restart, and the invariants checked after every fault."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition

from schemas.models import StoryEvent, StorySnapshot, WireItem, dumps
from tests.support.waiting import wait_until
from wirecore.kafka_admin import KafkaUnavailable, ensure_topics, group_lag
from wirecore.settings import Settings
from wirestream.owner_api import read_owner
from wirestream.reader import OwnerReader

VERSIONS_PER_STORY = 4


def story_event(i: int, *, bad_date: bool = False) -> tuple[str, bytes]:
    story = f"s{i // VERSIONS_PER_STORY:06d}"
    version = i % VERSIONS_PER_STORY + 1
    minute = i % 50
    ts = f"2026-01-24T{10 + version:02d}:{minute:02d}:00Z"
    item = WireItem(
        item_id=f"{i:016x}", guid=f"guid-{i}", source="faults", format="jsonl",
        headline=f"headline {i}", body=f"body of wire item {i}. " * 20, dateline="MINNEAPOLIS",
        places=["Minneapolis"], agencies=["ANP", "AFP"], language="nl",
        published_at="yesterday at noon" if bad_date else ts, updated_at=None,
        fetched_at="2026-01-24T17:00:00Z", url=None, revision=0, content_hash=f"{i:016x}",
    )
    snap = StorySnapshot(story_id=story, version=version, headline=item.headline,
                         first_published_at="2026-01-24T11:00:00Z", last_published_at=ts,
                         item_count=version, places=["Minneapolis"], agencies=["ANP"], languages=["nl"])
    ev = StoryEvent(item=item, story_id=story, relation="new" if version == 1 else "update",
                    score=0.9, evidence={"shared_terms": ["minneapolis"]}, story=snap,
                    raw_timestamp_ms=int(time.time() * 1000))
    return story, dumps(ev)


@dataclass
class Stream:
    """What was produced, to compare with what ClickHouse holds."""

    items: set[str] = field(default_factory=set)
    poison: int = 0
    next_i: int = 0  # next item number: poison does not use one, so story versions stay gapless
    sent: int = 0


def produce(settings: Settings, stream: Stream, n: int, *, poison_every: int = 0) -> None:
    p = Producer(settings.kafka_conf() | {"enable.idempotence": True, "acks": "all", "linger.ms": 20})
    topic = settings.topic("stories")
    for _ in range(n):
        stream.sent += 1
        if poison_every and stream.sent % poison_every == 0:
            # poison: undecodable bytes, or a row that can never be stored (bad date)
            if stream.poison % 2:
                p.produce(topic, key=b"poison", value=b"\x00\xff not a story event " + str(stream.sent).encode())
            else:
                _, value = story_event(10**9 + stream.sent, bad_date=True)
                p.produce(topic, key=b"poison", value=value)
            stream.poison += 1
            continue
        i = stream.next_i
        stream.next_i += 1
        key, value = story_event(i)
        stream.items.add(f"{i:016x}")
        while True:
            try:
                p.produce(topic, key=key.encode(), value=value)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(60) == 0, "not all events delivered"


class SinkProcess:
    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log, self.proc = env, log, None
        self.cmd = [sys.executable, "-m", "wirestream.sink_service"]

    def start(self) -> None:
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(self.cmd, env=self.env,
                                         stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def _lags(settings: Settings, topics: list[str]):
    try:
        return group_lag(settings, settings.group("sink"), topics)
    except KafkaUnavailable:  # e.g. NOT_COORDINATOR right after a broker restart: ask again
        return None


def sink_committed(settings: Settings) -> int:
    lags = _lags(settings, [settings.topic("stories")]) or []
    return sum(p.committed for p in lags if p.committed > 0)


def wait_drained(settings: Settings, sink: SinkProcess, timeout_s: float = 240) -> None:
    def drained() -> bool:
        assert sink.alive(), sink.log.read_text()[-3000:]
        lags = _lags(settings, [settings.topic("stories"), settings.topic("dlq")])
        return bool(lags) and all(p.lag == 0 for p in lags)

    wait_until(drained, timeout_s, "the sink to drain", interval=0.5, detail=lambda: sink.log.read_text()[-3000:])


def reader(settings: Settings, timeout_s: float = 120) -> OwnerReader:
    owner = wait_until(lambda: read_owner(settings.data_dir), timeout_s, "the sink's read API", interval=0.3)
    return OwnerReader(owner["url"], owner["token"])


def check_invariants(settings: Settings, stream: Stream) -> dict[str, int]:
    """Nothing lost, nothing doubled, versions gapless, poison in dlq. Returns the numbers."""
    r = reader(settings)
    db = settings.clickhouse_database
    one = lambda sql: r.query(sql)[1][0][0]  # noqa: E731
    numbers = {
        "produced_items": len(stream.items),
        "items": one(f"SELECT count() FROM {db}.items"),
        "items_final": one(f"SELECT count() FROM {db}.items FINAL"),
        "distinct_items": one(f"SELECT uniqExact(item_id) FROM {db}.items"),
        "story_rows": one(f"SELECT count() FROM {db}.stories"),
        "story_rows_final": one(f"SELECT count() FROM {db}.stories FINAL"),
        # exactly-once without FINAL: no table may hold a second raw row for anything
        "raw_minus_final": {t: one(f"SELECT (SELECT count() FROM {db}.{t}) - (SELECT count() FROM {db}.{t} FINAL)")
                            for t in ("items", "stories", "story_items", "dlq", "sink_offsets")},
        "gappy_stories": one(
            f"SELECT count() FROM (SELECT story_id, groupUniqArray(version) AS v FROM {db}.stories "
            f"GROUP BY story_id HAVING length(v) != max(version) OR min(version) != 1 OR count() != length(v))"),
        "poison_produced": stream.poison,
        "dlq_poison": one(f"SELECT uniqExact(origin_topic, origin_partition, origin_offset) FROM {db}.dlq "
                          f"WHERE stage = 'sink' AND reason != ''"),
    }
    assert numbers["items"] == numbers["items_final"] == numbers["distinct_items"] == len(stream.items), numbers
    assert numbers["story_rows"] == numbers["story_rows_final"], numbers
    assert not any(numbers["raw_minus_final"].values()), numbers
    assert numbers["gappy_stories"] == 0, numbers
    assert numbers["dlq_poison"] == stream.poison, numbers
    return numbers


def reset_group_to_start(settings: Settings) -> None:
    """Rewind the sink's committed offsets to the beginning (an operator replay)."""
    c = Consumer(settings.kafka_conf() | {"group.id": settings.group("sink"), "enable.auto.commit": False})
    md = c.list_topics(timeout=10)
    tps = [TopicPartition(t, p, 0) for t in (settings.topic("stories"), settings.topic("dlq"))
           for p in md.topics[t].partitions]
    c.commit(offsets=tps, asynchronous=False)
    c.close()


def setup_topics(settings: Settings) -> None:
    ensure_topics(settings)
