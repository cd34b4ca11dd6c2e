"""One story shard's state: its engine, the items it has seen, and the changelog records
that rebuild both.

The changelog (``wire.story-state``, compacted, partition p = shard p) holds the engine's
own keys (``meta``, ``s:<story id>``) and one small ``i:<item id>`` -> content-hash record
per item, which tells a republished item (a redelivery) from a new one. Writes are
coalesced per transaction: a story touched by 300 items of one batch is written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from processors.stages import needs_features, seen_record, story_step
from processors.stories import EngineConfig, StoryEngine
from processors.stories.features import ItemFeatures
from schemas.models import StoryEvent, WireItem

SEEN_PREFIX = "i:"


class ShardState:
    """The engine of one ``wire.items`` partition plus its pending (uncommitted) writes."""

    def __init__(self, config: EngineConfig, engine: StoryEngine | None = None,
                 seen: dict[str, str] | None = None) -> None:
        self.config = config
        self.engine = engine or StoryEngine(config)
        self.seen: dict[str, str] = seen or {}
        self.pending: dict[str, Any] = {}  # key -> JSON-able value or bytes; None: delete

    @classmethod
    def restore(cls, config: EngineConfig, records: Iterable[tuple[bytes, bytes | None]]) -> ShardState:
        """Rebuild from changelog records in offset order (the last value of a key wins)."""
        latest: dict[str, bytes | None] = {}
        for key, value in records:
            latest[key.decode()] = value
        seen: dict[str, str] = {}
        engine_items = []
        for key, value in latest.items():
            if value is None:
                continue
            if key.startswith(SEEN_PREFIX):
                seen[key[len(SEEN_PREFIX):]] = value.decode()
            else:
                engine_items.append((key, value))
        return cls(config, StoryEngine.restore(config, engine_items), seen)

    def step(self, item: WireItem, raw_ts_ms: int | None,
             features: ItemFeatures | None = None) -> StoryEvent:
        """Decide one item (``features``: its ``item_features``, if computed with its batch);
        its state writes join ``pending`` until ``take_pending``."""
        event, changes = story_step(self.engine, item, self.seen.get(item.item_id), raw_ts_ms,
                                    features)
        self.pending.update(changes)
        if not event.redelivery or "\t" not in self.seen[item.item_id]:  # the latest version and its story
            record = seen_record(item.content_hash, event.story_id)
            self.seen[item.item_id] = record
            self.pending[SEEN_PREFIX + item.item_id] = record.encode()
        return event

    def needs_features(self, item: WireItem) -> bool:
        """Whether ``step`` would read the item's features (``stages.needs_features``)."""
        return needs_features(self.engine, item, self.seen.get(item.item_id))

    def take_pending(self) -> dict[str, bytes | None]:
        """The coalesced writes since the last call (to produce inside the transaction),
        encoded only now: a story touched by many items of one batch is encoded once."""
        pending, self.pending = self.pending, {}
        return {key: value if isinstance(value, bytes) or value is None else orjson.dumps(value)
                for key, value in pending.items()}

