"""One live story: its centroid, its recent items and its metadata.

Persistence is by deltas (see ``state.py``): a story is a small header, a centroid
checkpoint, the item vectors added since the checkpoint and its kept items, so that one item
writes a few hundred bytes instead of the whole story. Replaying the deltas onto the
checkpoint repeats the live engine's arithmetic exactly (float32 weights are stored as raw
bytes), which is what makes a restored engine decide bit for bit like the live one.
"""

from __future__ import annotations

import functools
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from processors.stories.kernels import merge_sorted, top_terms
from schemas.models import StorySnapshot

_YEARS = np.array(sorted(zlib.crc32(str(y).encode()) for y in range(1900, 2100)), dtype=np.uint32)
YEAR_IDS = frozenset(_YEARS.tolist())
EPOCH_ISO = "1970-01-01T00:00:00Z"
EMPTY_IDS = np.zeros(0, dtype=np.uint32)
EMPTY_W = np.zeros(0, dtype=np.float32)


def years_of(ids: np.ndarray) -> frozenset[int]:
    """The term ids among ``ids`` that are years (1900-2099): the dates a text names."""
    if len(ids) == 0:
        return frozenset()
    p = np.searchsorted(_YEARS, ids)
    p[p == len(_YEARS)] = 0
    return frozenset(ids[_YEARS[p] == ids].tolist())


# Month names as content terms (cut like any word: "november" -> "novembe"), to month number.
# "May" is left out: a modal verb far more often than a month ("march" stays: rarely a verb
# in wire copy).
_MONTH_OF = {zlib.crc32(w[:7].encode()): m for w, m in {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}.items()}
_MONTHS = np.array(sorted(_MONTH_OF), dtype=np.uint32)


def months_of(ids: np.ndarray) -> frozenset[int]:
    """The months (1-12) named among the sorted term ids ``ids``."""
    if len(ids) == 0:
        return frozenset()
    p = np.searchsorted(ids, _MONTHS)
    p[p == len(ids)] = 0
    return frozenset(_MONTH_OF[t] for t in _MONTHS[ids[p] == _MONTHS].tolist())


@functools.lru_cache(maxsize=4096)
def iso_of(ts: float | None) -> str:
    """ISO-8601 UTC with ``Z``; the epoch when a story has no dated item at all."""
    if ts is None:
        return EPOCH_ISO
    if ts >= 0:  # gmtime is several times cheaper than datetime + strftime
        y, mo, d, h, mi, s = time.gmtime(ts)[:6]
        return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class KeptItem:
    """What a story remembers of one item to recognise its copies and revisions.

    ``n`` numbers the story's kept items (its state key is ``k:<story>:<n>``).
    """

    item_id: str
    content_hash: str
    guid: str | None
    simhash: int | None
    n_tokens: int
    n: int = 0

    def to_value(self) -> list[Any]:
        return [self.item_id, self.content_hash, self.guid, self.simhash, self.n_tokens]

    @classmethod
    def from_value(cls, v: list[Any], n: int) -> KeptItem:
        return cls(v[0], v[1], v[2], v[3], int(v[4]), n)



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
    opener: str = ""  # the item that opens the story in event time (relation ``new``)
    head_names: list[int] = field(default_factory=list)  # name term ids of the headline
    places: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    items: list[KeptItem] = field(default_factory=list)
    names: dict[int, int] = field(default_factory=dict)  # name term id -> items naming it
    n_deltas: int = 0  # centroid deltas written so far (next delta number)
    checkpoint: int = 0  # delta number the stored centroid checkpoint covers up to
    n_kept: int = 0  # next kept-item number
    years: frozenset[int] = frozenset()  # year term ids in the centroid (derived, not stored)
    months: frozenset[int] | None = None  # ``month_set()``, derived, not stored
    core: np.ndarray | None = None  # names most of its items share (derived, not stored)
    shadow: set[str] = field(default_factory=set)  # stories only a conflict kept it out of
    posted: tuple[int, list[int]] | None = None  # (k, ``index_terms(k)``), derived, not stored
    copies: tuple[np.ndarray, list[KeptItem]] | None = None  # ``simhashes()``, derived

    def core_names(self, share: float) -> np.ndarray:
        """Name ids named by at least ``share`` of the story's items (and by two, once it has
        two): the main entities an item about the same event is expected to mention."""
        if self.core is None:
            need = max(1.0, share * self.item_count, 2.0 if self.item_count > 1 else 1.0)
            self.core = np.array(sorted(t for t, c in self.names.items() if c >= need),
                                 dtype=np.uint32)
        return self.core

    def month_set(self) -> frozenset[int]:
        """The months the centroid names. Cached until the centroid changes; only items of
        ``month_min_terms`` terms ask, so a stream of short items never computes it."""
        if self.months is None:
            self.months = months_of(self.term_ids)
        return self.months

    def simhashes(self) -> tuple[np.ndarray, list[KeptItem]]:
        """The kept items that have a SimHash, and their hashes as one array.

        Cached until ``items`` changes (the engine resets ``copies``): a story is among an
        item's best matches far more often than it gains an item, and building the array
        from ~100 Python objects per candidate story was a sixth of a long item's time."""
        if self.copies is None:
            kept = [it for it in self.items if it.simhash is not None]
            self.copies = (np.fromiter((it.simhash for it in kept), dtype=np.uint64,
                                       count=len(kept)), kept)
        return self.copies

    def index_terms(self, k: int) -> list[int]:
        """The k heaviest centroid terms (ties by id), the story's entries in the index.

        Cached until the centroid changes (``merge_centroid``): an item reads the story's
        terms before and after it is absorbed, and the "before" is the last "after"."""
        if self.posted is not None and self.posted[0] == k:
            return self.posted[1]
        ids = self.term_ids
        terms = ids.tolist() if len(ids) <= k else top_terms(ids, self.weights, k)
        self.posted = (k, terms)
        return terms

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

    def header(self) -> dict[str, Any]:
        """Everything but the centroid and the kept items: the small per-item write. Lists are
        copies: the stories loop encodes a batch's writes when it commits, after later items
        may have changed the story."""
        return {
            "seq": self.seq, "v": self.version, "h": self.headline, "f": self.first_ts,
            "l": self.last_ts, "a": self.active_ts, "la": self.last_arrival,
            "c": self.item_count, "o": self.opener, "p": list(self.places), "ag": list(self.agencies),
            "lg": list(self.languages), "nd": self.n_deltas, "ck": self.checkpoint,
            "nk": self.n_kept, "hn": list(self.head_names), "sh": sorted(self.shadow),
        }

    @classmethod
    def from_header(cls, story_id: str, v: dict[str, Any]) -> Story:
        return cls(
            story_id=story_id, seq=int(v["seq"]), version=int(v["v"]), headline=v["h"],
            first_ts=v["f"], last_ts=v["l"], active_ts=v["a"], last_arrival=int(v["la"]),
            item_count=int(v["c"]), term_ids=EMPTY_IDS, weights=EMPTY_W, norm=0.0,
            opener=v["o"], places=list(v["p"]), agencies=list(v["ag"]),
            languages=list(v["lg"]), n_deltas=int(v["nd"]), checkpoint=int(v["ck"]),
            n_kept=int(v["nk"]), head_names=list(v["hn"]), shadow=set(v.get("sh", ())),
        )

    def touch_time(self, ts: float | None, clock: float | None, arrival: int) -> None:
        """Record activity: widen the dated span and move the idleness clocks forward."""
        if ts is not None:
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
        self.active_ts = clock
        self.last_arrival = arrival


def merge_centroid(
    story: Story, ids: np.ndarray, weights: np.ndarray, max_terms: int,
    years: frozenset[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Add a vector (float32 weights) to the centroid, keep the heaviest terms.

    Returns the term ids that entered and left the centroid, so the engine can keep its
    story-frequency table equal to "number of live stories whose centroid holds the term".
    """
    old = story.term_ids
    uniq, summed, entered = merge_sorted(old, story.weights, ids, weights)
    left = old[:0]
    if len(uniq) > max_terms:
        keep = np.sort(np.lexsort((uniq, -summed))[:max_terms])
        uniq, summed = uniq[keep], summed[keep]
        entered = uniq[~_members(uniq, old)] if len(old) else uniq
        left = old[~_members(old, uniq)] if len(old) else old
    story.term_ids = uniq
    story.weights = summed
    story.posted = None
    if years is None:
        story.years = years_of(uniq)
    else:  # the years of ``ids`` are known: update the story's from what entered and left
        kept = story.years.difference(left.tolist()) if len(left) and story.years else story.years
        story.years = kept.union(years.intersection(entered.tolist())) if years else kept
    story.months = None  # read only for long items (``month_set``): computed on demand
    s64 = summed.astype(np.float64)
    story.norm = float(np.sqrt(np.dot(s64, s64)))
    return entered, left


def _members(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_set`` (sorted, unique): one binary search, far
    cheaper than ``np.isin`` at a few hundred terms."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    p = np.searchsorted(sorted_set, values)
    p[p == len(sorted_set)] = 0
    return sorted_set[p] == values
