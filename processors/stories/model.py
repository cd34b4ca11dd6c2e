"""The engine's inputs, outputs and settings: the types other stages code against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.models import StorySnapshot
from wirecore.topology import DUPLICATE, NEW, REVISION, UPDATE  # noqa: F401 - the engine speaks these names


@dataclass(slots=True)
class StoryDoc:
    """What the engine sees of an item; built by the stream processor from a ``WireItem``."""

    id: str
    title: str
    text: str
    published_at: datetime | None  # tz-aware UTC or None
    lang: str | None = None
    guid: str | None = None  # the source's own id; same guid + changed content => revision
    content_hash: str | None = None  # hash of normalised text; equal => duplicate
    places: list[str] | tuple[str, ...] = ()  # dateline places if known
    agencies: list[str] | tuple[str, ...] = ()


@dataclass(slots=True)
class Assignment:
    """One final decision: which story an item belongs to, why, and what to persist."""

    story_id: str
    relation: str  # new | update | revision | duplicate
    score: float
    evidence: dict[str, Any]
    story: StorySnapshot  # the story after this item
    state_changes: dict[str, Any]  # key -> JSON-able value to upsert, None = delete
    merged: list[str] = field(default_factory=list)  # stories merged into ``story_id`` now
    demoted: list[str] = field(default_factory=list)  # items whose ``new`` is now ``update``


@dataclass(slots=True, frozen=True)
class EngineConfig:
    """Settings of the story engine. Defaults were tuned on ECB+ train/dev only.

    The join rule is one threshold on ``similarity * year/month factor + place bonus``, a
    match at ``dated_join`` or above counting as reaching it when item and story share a rare
    year; a story opened only because of a
    name/headline conflict is merged with the one it was kept out of when a later item scores
    ``shadow_merge`` on both, and a one-item story is merged into the story an item joins
    when the item scores ``single_merge`` on it; a full-length item far less similar to a
    small story than its items are to each other is held apart like a name conflict
    (``cohesion_ratio``); on lowercased items, terms in no word list stand in for the names
    case would have shown (``guess_names``; see docs/story-engine.md for why each rule is
    there and what was
    tried and dropped: a story-size penalty, a top-term coverage test, near-miss shadows,
    recent item vectors);
    the fields after ``place_bonus`` bound work and memory and rarely need touching.
    """

    join_threshold: float = 0.25  # minimum score to join an existing story
    name_boost: float = 1.5  # weight factor for words written capitalised mid-sentence
    year_conflict: float = 0.7  # similarity factor when item and story name only other years
    month_conflict: float = 0.7  # the same for months (January..December, not May)...
    month_min_terms: int = 50  # ...only for items with this many distinct content terms: a
    # snippet's one month (a dateline, a passing "last March") says little; an article that
    # names months, none of them the story's, is about another event far more often than not
    dated_join: float = 0.2  # a score this high joins (as if at ``join_threshold``) when item
    dated_share: float = 0.3  # ...and story name a year that at most this share of live
    # stories name: a rare shared date backs a weak lexical match (short items); the current
    # year, named by most stories of a live feed, never does
    shadow_merge: float = 0.5  # a story opened although only a name/headline conflict kept
    # its item out of another remembers that one; a later item scoring this (conflicts
    # ignored) on both merges them: order robustness for events whose items disagree on names
    single_merge: float = 0.3  # an item joining a story and scoring this (no conflict) on a
    # one-item story merges that story in: a one-item story is an item that found no story
    # when it arrived, often an early split of the event; an item matching both is the evidence
    # (0 = off; bigger stories still need ``merge_threshold``)
    cohesion_ratio: float = 0.7  # a full-length item scoring under this share of what a
    # typical member scores against a small story (from the story's mean pairwise cosine,
    # read off its centroid norm) is an outlier: on ECB+ most often the first item of the
    # look-alike event (orders 0-39: full dev +0.007, full train +0.0015); 0 = off
    cohesion_conflict: float = 0.7  # ...its similarity factor; it counts as a conflict
    cohesion_max_items: int = 5  # ...only stories of 2 to this many items are tested
    cohesion_min_terms: int = 50  # ...only items with this many distinct content terms: a
    # snippet's similarities are too noisy (short train -0.011 without this gate)
    idf_prior: float = 200.0  # short items (see ``idf_prior_max_terms``) weigh terms by live
    # story counts plus this many pseudo-stories holding each term at its share in ordinary
    # text (``wordfreq``, en/nl/de/fr/es/it; names: share 0): a snippet's common words no
    # longer weigh like names while few stories are live (orders 0-39: short dev +0.012,
    # short train +0.007, full train +0.002, full dev +0.001); 0 = off, live counts only
    idf_prior_terms: float = 400.0  # ...a story's tokens: share = 1 - exp(-this * frequency)
    idf_prior_max_terms: int = 50  # ...only items with fewer distinct content terms: on
    # full-length items the prior lost (full dev -0.005 to -0.02 on orders 0-19)
    guess_names: bool = True  # an item with no capital letter (a lowercased feed) has no
    # names to find by case; then its content terms in no en/nl/de/fr/es/it word list (the
    # ``idf_prior`` table's share 0: ketsoya, wasilla, sukanya), letters only, stand in for
    # names in the name and headline conflicts and the story's names (orders 0-39: short
    # train +0.002, short dev +0.003; full text has case and is unchanged)
    guess_share: float = 0.0  # ...background share at most this: 1e-4 / 3e-4 / 1e-3 take in
    # rare ordinary words (trawler, foiled, rehab) and lost on short text
    guess_min_len: int = 4  # ...and this many letters or more
    guess_boost: bool = False  # ...and ``name_boost`` on them too (lost on orders 0-19)
    place_bonus: float = 0.04  # per shared dateline place, capped at two places
    recency_bonus: float = 0.08  # added for an item dated inside the story's span...
    recency_half_life_hours: float = 12.0  # ...halving for every this many hours outside it
    idle_hours: float = 72.0  # event-time idleness after which a story is closed and evicted
    min_idle_items: int = 2000  # ...and only if it also saw no item in this many arrivals
    sweep_every: int = 256  # arrivals between eviction sweeps
    stem_len: int = 7  # content words are cut to this many characters
    max_story_terms: int = 400  # centroid terms kept per story
    index_terms: int = 24  # centroid terms posted in the inverted index per story
    query_terms: int = 24  # item terms looked up in the inverted index
    max_candidates: int = 12  # stories scored in full per item (more changed nothing on ECB+)
    max_posting: int = 200  # postings longer than this are skipped (too common to help)
    max_items_kept: int = 100  # per story, recent items remembered for duplicate/revision checks
    revision_max_hamming: int = 8  # SimHash bits (of 64) a revision may differ in, same story
    revision_min_length_ratio: float = 0.9  # ...and their token counts must be this close
    name_conflict: float = 0.6  # similarity factor when item and story name other main entities
    conflict_share: float = 0.5  # ...a story's main names are those this share of items name
    conflict_missing: float = 0.75  # ...conflict: this much of the item's and the story's name
    # weight is missing on the other side
    headline_conflict: float = 0.4  # similarity factor when the headlines' names disagree
    headline_missing: float = 0.3  # ...disagree: this share of each side's headline names is
    # missing from the other (any one of one to three names; more of a long headline's)
    merge_threshold: float = 0.6  # an item scoring this on a second story merges the two
    lateness_hours: float = 48.0  # an item this much older than the clock no longer reopens
    checkpoint_every: int = 32  # centroid deltas per story between two checkpoints
    max_names: int = 48  # names counted per story (for entity agreement and conflicts)
