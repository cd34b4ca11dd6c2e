"""The pure step functions the faust agents run, kept out of the agents so they can be
unit-tested without Kafka: raw bytes -> WireItem, WireItem -> StoryEvent.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import orjson

from processors.parsing import parse_raw_item
from processors.stories import Assignment, StoryDoc, StoryEngine
from schemas.models import InvalidItem, RawMeta, StoryEvent, StorySnapshot, WireItem
from wirecore.settings import Settings


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
    engine: StoryEngine, item: WireItem, *, redelivery: bool, raw_ts_ms: int | None
) -> tuple[StoryEvent, Assignment]:
    a = engine.assign(to_story_doc(item))
    event = StoryEvent(
        item=item, story_id=a.story_id, relation=a.relation, score=float(a.score),
        evidence=a.evidence, story=a.story, raw_timestamp_ms=raw_ts_ms, redelivery=redelivery,
        merged_from=list(a.merged), demoted=list(a.demoted),
    )
    return event, a


def story_step(
    engine: StoryEngine, item: WireItem, seen: dict | str | None, offset: int, raw_ts_ms: int | None
) -> tuple[StoryEvent, dict[str, dict | None], dict | None]:
    """One item through the stories stage: (event to emit, engine state changes, new ``seen``
    record or None to keep the old one).

    ``seen`` is what the stage recorded when it first handled this item_id: its content hash,
    the ``wire.items`` offset, and the decision. Three cases:
    - same content at the *same* offset: the worker crashed after recording the item but
      before its event was safely out; re-emit the recorded decision unchanged (the engine
      state already holds the item), so nothing is lost and the story version stays gapless;
    - same content at another offset: the item was published again (a republished page):
      a redelivery, which the sink stores nothing for;
    - otherwise: a new decision by the engine, recorded.
    """
    if isinstance(seen, str):  # records written before decisions were kept
        seen = {"h": seen, "o": None}
    if seen and seen.get("h") == item.content_hash:
        if seen.get("o") == offset and seen.get("a"):
            a = seen["a"]
            event = StoryEvent(
                item=item, story_id=a["story_id"], relation=a["relation"], score=float(a["score"]),
                evidence=a["evidence"], story=StorySnapshot(**a["story"]), raw_timestamp_ms=raw_ts_ms,
            )
            return event, {}, None
        event, assignment = story_stage(engine, item, redelivery=True, raw_ts_ms=raw_ts_ms)
        return event, assignment.state_changes, None
    event, assignment = story_stage(engine, item, redelivery=False, raw_ts_ms=raw_ts_ms)
    record = {"h": item.content_hash, "o": offset, "a": {
        "story_id": event.story_id, "relation": event.relation, "score": event.score,
        "evidence": event.evidence, "story": asdict(event.story)}}
    return event, assignment.state_changes, record
