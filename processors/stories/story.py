"""One live story: its centroid, its recent items and its metadata, and how it is persisted.

A story is exactly what is written to the state store under ``s:<story_id>``: the engine
keeps no other per-story data, so an engine rebuilt from the stored values holds the same
numbers (bit for bit: weights are float32 and survive the JSON round trip exactly).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from schemas.models import StorySnapshot

_YEARS = np.array(sorted(zlib.crc32(str(y).encode()) for y in range(1900, 2100)), dtype=np.uint32)
EPOCH_ISO = "1970-01-01T00:00:00Z"


def years_of(ids: np.ndarray) -> frozenset[int]:
    """The term ids among ``ids`` that are years (1900-2099): the dates a text names."""
    return frozenset(ids[np.isin(ids, _YEARS, assume_unique=True)].tolist())


def iso_of(ts: float | None) -> str:
    """ISO-8601 UTC with ``Z``; the epoch when a story has no dated item at all."""
    if ts is None:
        return EPOCH_ISO
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class KeptItem:
    """What a story remembers of one item to recognise its copies and revisions."""

    item_id: str
    content_hash: str
    guid: str | None
    simhash: int | None
    n_tokens: int

    def to_value(self) -> list[Any]:
        return [self.item_id, self.content_hash, self.guid, self.simhash, self.n_tokens]

    @classmethod
    def from_value(cls, v: list[Any]) -> KeptItem:
        return cls(v[0], v[1], v[2], v[3], int(v[4]))


@dataclass(slots=True)
class Story:
    """A live story. ``term_ids`` is sorted; ``weights`` is the sum of unit item vectors."""

    story_id: str
    seq: int  # arrival number of the opening item: a total, deterministic order of stories
    version: int
    headline: str
    first_ts: float | None  # earliest dated item (epoch seconds)
    last_ts: float | None  # latest dated item
    active_ts: float | None  # event-time clock when the story last changed
    last_arrival: int  # arrival number of the last item that changed the story
    item_count: int
    term_ids: np.ndarray  # uint32, sorted
    weights: np.ndarray  # float32, aligned with term_ids
    norm: float
    places: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    items: list[KeptItem] = field(default_factory=list)
    years: frozenset[int] = frozenset()  # year term ids in the centroid (derived, not stored)

    def index_terms(self, k: int) -> list[int]:
        """The k heaviest centroid terms (ties by id), the story's entries in the index."""
        if len(self.term_ids) <= k:
            return self.term_ids.tolist()
        order = np.lexsort((self.term_ids, -self.weights))[:k]
        return self.term_ids[order].tolist()

    def snapshot(self) -> StorySnapshot:
        return StorySnapshot(
            story_id=self.story_id,
            version=self.version,
            headline=self.headline,
            first_published_at=iso_of(self.first_ts),
            last_published_at=iso_of(self.last_ts),
            item_count=self.item_count,
            places=list(self.places),
            agencies=list(self.agencies),
            languages=list(self.languages),
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "version": self.version,
            "headline": self.headline,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "active_ts": self.active_ts,
            "last_arrival": self.last_arrival,
            "item_count": self.item_count,
            "terms": self.term_ids.tolist(),
            "weights": self.weights.tolist(),
            "norm": self.norm,
            "places": self.places,
            "agencies": self.agencies,
            "languages": self.languages,
            "items": [it.to_value() for it in self.items],
        }

    @classmethod
    def from_value(cls, story_id: str, v: dict[str, Any]) -> Story:
        story = cls(
            story_id=story_id,
            seq=int(v["seq"]),
            version=int(v["version"]),
            headline=v["headline"],
            first_ts=v["first_ts"],
            last_ts=v["last_ts"],
            active_ts=v["active_ts"],
            last_arrival=int(v["last_arrival"]),
            item_count=int(v["item_count"]),
            term_ids=np.asarray(v["terms"], dtype=np.uint32),
            weights=np.asarray(v["weights"], dtype=np.float32),
            norm=float(v["norm"]),
            places=list(v["places"]),
            agencies=list(v["agencies"]),
            languages=list(v["languages"]),
            items=[KeptItem.from_value(x) for x in v["items"]],
        )
        story.years = years_of(story.term_ids)
        return story

    def touch_time(self, ts: float | None, clock: float | None, arrival: int) -> None:
        """Record activity: widen the dated span and move the idleness clocks forward."""
        if ts is not None:
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
        self.active_ts = clock
        self.last_arrival = arrival


def merge_centroid(
    story: Story, ids: np.ndarray, weights: np.ndarray, max_terms: int
) -> tuple[np.ndarray, np.ndarray]:
    """Add a unit item vector to the centroid, keep the heaviest terms.

    Returns the term ids that entered and left the centroid, so the engine can keep its
    story-frequency table equal to "number of live stories whose centroid holds the term".
    """
    all_ids = np.concatenate([story.term_ids, ids])
    all_w = np.concatenate([story.weights, weights.astype(np.float32)])
    uniq, inverse = np.unique(all_ids, return_inverse=True)
    summed = np.bincount(inverse, weights=all_w).astype(np.float32)
    if len(uniq) > max_terms:
        keep = np.sort(np.lexsort((uniq, -summed))[:max_terms])
        uniq, summed = uniq[keep], summed[keep]
    old = story.term_ids
    uniq = uniq.astype(np.uint32)
    entered = np.setdiff1d(uniq, old, assume_unique=True)
    left = np.setdiff1d(old, uniq, assume_unique=True)
    story.term_ids = uniq
    story.weights = summed
    story.years = years_of(story.term_ids)
    story.norm = float(np.sqrt(np.dot(summed.astype(np.float64), summed.astype(np.float64))))
    return entered, left
