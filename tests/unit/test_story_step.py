"""The stories stage's pure parts: story_step, shards, and a shard rebuilt from its own
changelog records deciding exactly as the shard that never stopped."""

import logging
import time

import orjson

from processors.health import WorkerHealth
from processors.parsing import parse_raw_item
from processors.stages import shard_partition, story_shard, story_step
from processors.stories import EngineConfig, StoryEngine
from processors.story_state import ShardState
from processors.worker_id import worker_identity
from producers.formats import split_document
from producers.formats.order import publication_order
from schemas.models import WireItem
from tests.support.paths import SAMPLE_PAGE


def sample_items():
    result = split_document(SAMPLE_PAGE.read_bytes(), None, source="anp", fetched_at="2026-01-24T18:00:00+01:00")
    return [parse_raw_item(i.payload, i.meta) for i in publication_order(result.items)]


def test_first_time_is_a_decision_with_state():
    engine, item = StoryEngine(EngineConfig()), sample_items()[0]
    event, changes = story_step(engine, item, None, 123)
    assert event.relation == "new" and not event.redelivery and changes
    assert event.raw_timestamp_ms == 123


def test_republished_item_is_a_redelivery_of_the_same_story():
    shard = ShardState(EngineConfig())
    item = sample_items()[0]
    first = shard.step(item, 1)
    again = shard.step(item, 2)
    assert again.redelivery and not first.redelivery and again.story_id == first.story_id


def test_pending_writes_are_coalesced_per_key():
    shard = ShardState(EngineConfig())
    items = sample_items()
    for item in items:
        shard.step(item, None)
    pending = shard.take_pending()
    assert sum(k.startswith("i:") for k in pending) == len({i.item_id for i in items})
    assert sum(k == "meta" for k in pending) == 1  # written once per batch, not once per item
    assert shard.take_pending() == {}


def test_restore_from_changelog_at_every_batch_cut_decides_identically():
    items = sample_items()
    live = ShardState(EngineConfig())
    expected = [live.step(i, None) for i in items]
    for cut in range(0, len(items) + 1, 3):
        writer = ShardState(EngineConfig())
        log: list[tuple[bytes, bytes | None]] = []
        for i in items[:cut]:
            writer.step(i, None)
            log += [(k.encode(), v) for k, v in writer.take_pending().items()]  # batch = 1 item
        restored = ShardState.restore(EngineConfig(), log)
        got = [restored.step(i, None) for i in items[cut:]]
        assert [(e.story_id, e.relation, e.story.version) for e in got] == [
            (e.story_id, e.relation, e.story.version) for e in expected[cut:]]


def test_changelog_values_are_json():
    shard = ShardState(EngineConfig())
    shard.step(sample_items()[0], None)
    for key, value in shard.take_pending().items():
        if not key.startswith("i:"):
            assert isinstance(orjson.loads(value), dict | list)  # JSON the changelog can carry


def test_shard_is_the_language_and_stable():
    item = sample_items()[0]
    assert story_shard(item, "language") == (item.language or "und").lower()
    assert story_shard(item, "none") == ""
    assert shard_partition("en", 4) == 2 and shard_partition("nl", 4) == 1  # crc32, any client agrees
    assert shard_partition("en", 1) == 0


def test_worker_identity_is_stable_and_unique_per_live_process(tmp_path):
    assert worker_identity("pod-3", tmp_path) == "pod-3"
    a = worker_identity(None, tmp_path)
    b = worker_identity(None, tmp_path)  # a second worker beside the first: next slot
    assert a != b and a.endswith("-0") and b.endswith("-1")
    # a parse-only worker beside them (as `up` runs one) takes slots of its own: the stories
    # worker's id does not depend on which of the two started first
    p = worker_identity(None, tmp_path, "parse")
    assert p.endswith("-parse-0") and p not in (a, b)


def test_readiness_reports_a_paused_stage():
    h = WorkerHealth()
    h.started("stories")
    assert h.report()["ready"]
    h.paused("stories", "kafka", "all brokers down", 1.0)
    r = h.report()
    assert not r["ready"] and r["stages"]["stories"]["reason"] == "kafka: all brokers down"
    h.resumed("stories")
    assert h.report()["ready"]


def test_readiness_reports_a_stage_whose_loop_hangs(caplog):
    h = WorkerHealth(stuck_after_s=0.05)
    h.started("stories")
    h.started("parse")  # a stage without a beating loop (the faust agent) is never stuck
    h.beat("stories")
    assert h.report()["ready"] and h.check_stuck() == []
    time.sleep(0.1)
    r = h.report()
    assert not r["ready"] and r["stages"]["stories"]["stuck"] and not r["stages"]["parse"]["stuck"]
    with caplog.at_level(logging.ERROR, "wirestream.processors"):
        assert h.check_stuck() == ["stories"] and h.check_stuck() == ["stories"]
    assert len([r for r in caplog.records if "stories stuck" in r.getMessage()]) == 1  # once per episode
    h.beat("stories")
    assert h.report()["ready"]


def _wire(n: int) -> WireItem:
    words = " ".join(f"w{n}x{k}" for k in range(12))  # each item its own text: no near copies
    return WireItem.from_dict({
        "item_id": f"id{n}", "guid": f"g{n}", "source": "t", "format": "jsonl",
        "headline": f"Flood in Valparaiso: update {n}",
        "body": f"The flood in Valparaiso and Vina del Mar, Chile, update {n}: {words}.",
        "language": "en", "published_at": f"2026-01-05T10:{n // 60:02d}:{n % 60:02d}Z",
        "fetched_at": "2026-01-05T12:00:00Z", "content_hash": f"h{n}", "dateline": None, "places": [],
        "agencies": [], "updated_at": None, "url": None, "revision": None,
    })


def test_a_redelivered_item_takes_no_version_even_when_its_hash_left_the_engine():
    """Chaos run regression: a parse replay redelivered 1,000 items of a story of 20,000; their
    hashes had left the engine's duplicate index (100 kept items per story), the engine made
    them updates with versions 1001-2000, and the sink (storing nothing for a redelivery)
    left those versions missing. A redelivery is answered from the shard's record instead."""
    shard = ShardState(EngineConfig())
    first = [shard.step(_wire(n), None) for n in range(130)]
    story = first[0].story_id
    assert {e.story_id for e in first} == {story} and first[-1].story.version == 130
    shard.take_pending()
    again = shard.step(_wire(3), None)  # a replay of an early item
    assert again.redelivery and again.relation == "duplicate" and again.story_id == story
    assert again.story.version == 130 and shard.take_pending() == {}  # no version, no state
    nxt = shard.step(_wire(130), None)
    assert nxt.story.version == 131 and not nxt.redelivery


def test_the_redelivery_record_survives_a_restore_and_old_records_still_work():
    shard = ShardState(EngineConfig())
    events = [shard.step(_wire(n), None) for n in range(5)]
    records = [(k.encode(), v) for k, v in shard.take_pending().items()]
    restored = ShardState.restore(EngineConfig(), records)
    again = restored.step(_wire(1), None)
    assert again.redelivery and again.story_id == events[1].story_id and again.story.version == 5
    legacy = ShardState.restore(EngineConfig(), [
        (k, b"h2" if k == b"i:id2" else v) for k, v in records])  # a record of the hash alone
    old = legacy.step(_wire(2), None)
    assert old.redelivery and old.story_id == events[2].story_id
    assert legacy.seen["id2"] == f"h2\t{events[2].story_id}"  # rewritten with its story


def test_a_batch_encodes_each_key_as_it_stood_when_last_written():
    """The stories loop encodes a poll's state writes when it commits. A story touched by
    several items of one poll gains places, agencies and languages on the way; what is encoded
    must be each key's value as of its last write, exactly what encoding at once gives."""
    def item(n: int, place: str, agency: str, lang: str) -> WireItem:
        w = _wire(n)
        return WireItem.from_dict(w.to_dict() | {"places": [place], "agencies": [agency], "language": lang})

    batch = [item(0, "Valparaiso", "AP", "en"), item(1, "Vina del Mar", "EFE", "es"),
             item(2, "Santiago", "AFP", "fr")]
    lazily, at_once = ShardState(EngineConfig()), ShardState(EngineConfig())
    expected: dict[str, bytes | None] = {}
    for it in batch:
        lazily.step(it, None)
        event = at_once.step(it, None)
        expected.update(at_once.take_pending())  # encoded right after the decision
    assert event.relation == "update"  # one story, touched three times in the batch
    assert event.story.places == ["Valparaiso", "Vina del Mar", "Santiago"]
    assert lazily.take_pending() == expected
