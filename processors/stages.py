"""The pure step functions of the worker, kept out of the Kafka loops so they can be
unit-tested without Kafka: raw bytes -> WireItem, WireItem -> shard, WireItem -> StoryEvent.
"""

from __future__ import annotations

import zlib
from datetime import datetime

import orjson

from processors.parsing import parse_raw_item
from processors.stories import Assignment, EngineConfig, StoryDoc, StoryEngine
from processors.stories.features import ItemFeatures, featurise_many
from schemas.models import InvalidItem, RawMeta, StoryEvent, StorySnapshot, WireItem
from wirecore.settings import Settings
from wirecore.topology import DUPLICATE


def parse_stage(value: bytes | None, headers, settings: Settings, now: datetime | None = None) -> WireItem:
    """Raise InvalidItem for anything that cannot become a WireItem."""
    if value is None:
        raise InvalidItem("empty message (no value)")
    meta = RawMeta.from_headers(headers)
    return parse_raw_item(
        value, meta, max_bytes=settings.max_item_bytes,
        future_tolerance_s=settings.future_tolerance_s, now=now,
    )


def decode_item(value: bytes | None) -> WireItem:
    try:
        return WireItem.from_dict(orjson.loads(value or b""))
    except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
        raise InvalidItem(f"undecodable wire item: {exc}") from None


def to_story_doc(item: WireItem) -> StoryDoc:
    published = datetime.fromisoformat(item.published_at) if item.published_at else None
    return StoryDoc(
        id=item.item_id, title=item.headline, text=item.body, published_at=published,
        lang=item.language, guid=item.guid, content_hash=item.content_hash,
        places=list(item.places), agencies=list(item.agencies),
    )


def story_stage(
    engine: StoryEngine, item: WireItem, *, redelivery: bool, raw_ts_ms: int | None,
    features: ItemFeatures | None = None,
) -> tuple[StoryEvent, Assignment]:
    a = engine.assign(to_story_doc(item), features)
    event = StoryEvent(
        item=item, story_id=a.story_id, relation=a.relation, score=float(a.score),
        evidence=a.evidence, story=a.story, raw_timestamp_ms=raw_ts_ms, redelivery=redelivery,
        merged_from=list(a.merged), demoted=list(a.demoted),
    )
    return event, a


def story_shard(item: WireItem, shard_by: str) -> str:
    """The shard an item's story lives in: stories never span shards, so the key must be
    something two items of one story share (their language by default)."""
    if shard_by == "language":
        return (item.language or "und").lower()
    if shard_by == "source":
        return item.source or "unknown"
    return ""


def shard_partition(shard: str, partitions: int) -> int:
    """``wire.items`` partition of a shard: CRC-32, so every client and language agrees."""
    return zlib.crc32(shard.encode()) % max(1, partitions) if partitions > 1 else 0


def seen_record(content_hash: str | None, story_id: str) -> str:
    """What the shard remembers of an item id it handled: its content hash and its story."""
    return f"{content_hash or ''}\t{story_id}"


def item_features(items: list[WireItem], config: EngineConfig) -> list[ItemFeatures | None]:
    """The engine's features of a batch of items, computed together (``featurise_many``;
    None for a repeat of an earlier item of the batch)."""
    return featurise_many([to_story_doc(item) for item in items], config.stem_len)


def needs_features(engine: StoryEngine, item: WireItem, seen: str | None) -> bool:
    """Whether ``story_step`` reads the item's features: not for a redelivery answered from
    its ``seen`` record, nor for an exact copy of an item the engine keeps (both are common in
    a replay after a restart, and the text analysis is most of an item's cost)."""
    redelivery, seen_story = read_seen(item, seen)
    if redelivery and seen_story:
        return False
    return not (item.content_hash and item.content_hash in engine.index.by_hash)


def read_seen(item: WireItem, seen: str | None) -> tuple[bool, str]:
    """(whether the item is a redelivery of its last handled version, the story it went to or
    "" for a record written before story ids were kept), from its ``seen_record``."""
    seen_hash, _, seen_story = (seen or "").partition("\t")
    return seen is not None and seen_hash == (item.content_hash or ""), seen_story


def story_step(
    engine: StoryEngine, item: WireItem, seen: str | None, raw_ts_ms: int | None,
    features: ItemFeatures | None = None,
) -> tuple[StoryEvent, dict[str, dict | None]]:
    """One item through the stories stage: (event to emit, engine state changes).

    ``features``: the item's ``item_features``, when computed ahead with its batch.
    ``seen`` is the ``seen_record`` of this item_id's last handled version in this shard
    (None: never; a record written before story ids were kept holds the hash alone). The same
    content again is a redelivery (a republished page, or the parse stage replaying after a
    crash): the sink stores nothing for it, so the engine must not decide it again. It once
    did, and an item whose hash had left the engine's bounded duplicate index (a story of
    more than 100 kept items) became an "update" with a new version that was never stored: a
    gap in the story's versions. Now a redelivery is answered from the record, without the
    engine: "duplicate" of the story it went to, at that story's current version.
    A crash of the stories loop itself needs no record here: state, input offsets and events
    are committed in one Kafka transaction, so a replay starts from the engine state of the
    last commit and the deterministic engine makes the same decisions again.
    """
    redelivery, seen_story = read_seen(item, seen)
    if redelivery and seen_story:
        return redelivered(engine, item, seen_story, raw_ts_ms), {}
    event, assignment = story_stage(engine, item, redelivery=redelivery, raw_ts_ms=raw_ts_ms,
                                    features=features)
    return event, assignment.state_changes


def redelivered(engine: StoryEngine, item: WireItem, story_id: str, raw_ts_ms: int | None) -> StoryEvent:
    """The event for an item handled before: its story as it stands now (no version taken).
    A story no longer live here (closed after its idle window, or merged into another) is
    named by its id with the item's own times; the sink stores nothing for either."""
    snapshot = engine.snapshot_of(story_id)
    if snapshot is None:
        at = item.published_at or item.fetched_at
        snapshot = StorySnapshot(story_id=story_id, version=0, headline=item.headline, first_published_at=at,
                                 last_published_at=at, item_count=0)
    return StoryEvent(item=item, story_id=story_id, relation=DUPLICATE, score=1.0,
                      evidence={"redelivery_of": item.item_id, "story_live": snapshot.version > 0},
                      story=snapshot, raw_timestamp_ms=raw_ts_ms, redelivery=True)
