"""Item vectors and the join score of an item against a story.

The score is ``cosine(item, story centroid) * year_factor + place_bonus``:
- cosine over log-TF x inverse-story-frequency vectors: shared *rare* terms dominate, which
  works on lowercased, punctuation-free text; names (capitalised mid-sentence) get a modest
  boost when the text still has case;
- ``year_factor`` damps the similarity when the item names years and the story names years
  and none agree: look-alike events (two earthquakes, two rehab stays) often differ there;
- a small bonus per shared dateline place, because wires put the place first and it is the
  one entity that is always extracted cleanly.

Time proximity is deliberately not in the score: eviction after ``idle_hours`` already keeps
stale stories out, and a decay on published dates hurt on ECB+ where dates are noisy. The
gap is still reported as evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from processors.stories.index import StoryIndex
from processors.stories.story import Story
from processors.stories.text import log_tf, term_id

_YEARS = np.array(sorted(term_id(str(y)) for y in range(1900, 2100)), dtype=np.uint32)


def years_in(ids: np.ndarray) -> np.ndarray:
    """The term ids among ``ids`` that are years (1900-2099)."""
    return ids[np.isin(ids, _YEARS, assume_unique=True)]


@dataclass(slots=True)
class ItemVector:
    """A unit vector over stable term ids (sorted), with the words behind the ids."""

    ids: np.ndarray  # uint32, sorted
    weights: np.ndarray  # float64, unit length
    words: dict[int, str]

    def top(self, k: int) -> list[tuple[int, float]]:
        """The k heaviest terms, ties broken by id so the order is reproducible."""
        if len(self.ids) == 0:
            return []
        order = np.lexsort((self.ids, -self.weights))[:k]
        return list(zip(self.ids[order].tolist(), self.weights[order].tolist(), strict=True))


def build_vector(
    tf: dict[str, int],
    index: StoryIndex,
    n_stories: int,
    names: frozenset[str] = frozenset(),
    name_boost: float = 1.0,
) -> ItemVector:
    """Log-TF x inverse story frequency, names boosted, scaled to unit length."""
    words: dict[int, str] = {}
    weight_of: dict[int, float] = {}
    for term, count in tf.items():
        tid = term_id(term)
        words[tid] = term
        w = log_tf(count) * index.idf(tid, n_stories)
        if term in names:
            w *= name_boost
        weight_of[tid] = weight_of.get(tid, 0.0) + w
    ids = np.fromiter(weight_of.keys(), dtype=np.uint32, count=len(weight_of))
    weights = np.fromiter(weight_of.values(), dtype=np.float64, count=len(weight_of))
    order = np.argsort(ids)
    ids, weights = ids[order], weights[order]
    norm = math.sqrt(float(np.dot(weights, weights)))
    if norm > 0:
        weights = weights / norm
    return ItemVector(ids=ids, weights=weights, words=words)


@dataclass(slots=True)
class Match:
    """The score of one item against one story, with the evidence behind it."""

    story: Story
    score: float
    similarity: float
    time_gap_hours: float | None
    shared_places: list[str]
    shared_terms: list[str]

    def evidence(self) -> dict[str, object]:
        return {
            "story_id": self.story.story_id,
            "similarity": round(self.similarity, 4),
            "time_gap_hours": _round(self.time_gap_hours),
            "shared_places": self.shared_places,
            "shared_terms": self.shared_terms,
        }


def time_gap_hours(ts: float | None, story: Story) -> float | None:
    """Hours between the item and the story's dated span; ``None`` if either is undated."""
    if ts is None or story.first_ts is None or story.last_ts is None:
        return None
    return max(0.0, story.first_ts - ts, ts - story.last_ts) / 3600.0


def score_story(
    vec: ItemVector,
    story: Story,
    ts: float | None,
    places: set[str],
    place_bonus: float,
    year_conflict: float,
    recency_bonus: float = 0.0,
    recency_half_life_hours: float = 12.0,
) -> Match:
    """Cosine to the centroid, damped on a year conflict, plus the shared-place bonus."""
    _, di, si = np.intersect1d(vec.ids, story.term_ids, assume_unique=True, return_indices=True)
    contrib = vec.weights[di] * story.weights[si].astype(np.float64)
    similarity = float(contrib.sum()) / story.norm if story.norm > 0 else 0.0
    gap = time_gap_hours(ts, story)
    factor = 1.0
    shared_places = sorted(places.intersection(p.lower() for p in story.places))
    doc_years = years_in(vec.ids)
    if len(doc_years):
        story_years = years_in(story.term_ids)
        if len(story_years) and not np.isin(doc_years, story_years).any():
            factor *= year_conflict
    score = similarity * factor + place_bonus * min(2, len(shared_places))
    if gap is not None and similarity > 0:
        score += recency_bonus * 0.5 ** (gap / recency_half_life_hours)
    top = np.argsort(-contrib, kind="stable")[:8]
    shared_terms = [vec.words[int(vec.ids[di[i]])] for i in top]
    return Match(story, score, similarity, gap, shared_places, shared_terms)


def find_candidates(
    vec: ItemVector, index: StoryIndex, stories: dict[str, Story], k_query: int,
    max_posting: int, max_candidates: int,
) -> tuple[list[Story], int]:
    """Stories sharing the item's heaviest terms, best first; and how many were touched."""
    acc: dict[str, float] = {}
    for tid, w in vec.top(k_query):
        posting = index.postings.get(tid)
        if not posting or len(posting) > max_posting:
            continue
        for sid in posting:
            acc[sid] = acc.get(sid, 0.0) + w
    ranked = sorted(acc.items(), key=lambda kv: (-kv[1], stories[kv[0]].seq))
    return [stories[sid] for sid, _ in ranked[:max_candidates]], len(acc)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
