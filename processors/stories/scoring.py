"""Item vectors and the join score of an item against a story.

The score is ``cosine(item, story centroid) * time_factor + place_bonus``:
- cosine over log-TF x inverse-story-frequency vectors: shared *rare* terms dominate, which
  works on lowercased, punctuation-free text where capitalised-name heuristics cannot;
- ``time_factor`` halves the similarity for every ``time_scale_hours`` between the item and
  the story's dated span: look-alike events (two earthquakes, two rehab stays) are mostly
  told apart by when they happened;
- a small bonus per shared dateline place, because wires put the place first and it is the
  one entity that is always extracted cleanly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from processors.stories.index import StoryIndex
from processors.stories.story import Story
from processors.stories.text import log_tf, term_id


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


def build_vector(tf: dict[str, int], index: StoryIndex, n_stories: int) -> ItemVector:
    words: dict[int, str] = {}
    weight_of: dict[int, float] = {}
    for term, count in tf.items():
        tid = term_id(term)
        words[tid] = term
        weight_of[tid] = weight_of.get(tid, 0.0) + log_tf(count) * index.idf(tid, n_stories)
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
            "time_gap_hours": None if self.time_gap_hours is None else round(self.time_gap_hours, 2),
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
    time_scale_hours: float,
    place_bonus: float,
) -> Match:
    _, di, si = np.intersect1d(vec.ids, story.term_ids, assume_unique=True, return_indices=True)
    contrib = vec.weights[di] * story.weights[si].astype(np.float64)
    similarity = float(contrib.sum()) / story.norm if story.norm > 0 else 0.0
    gap = time_gap_hours(ts, story)
    factor = 1.0 if gap is None else 0.5 ** (gap / time_scale_hours)
    shared_places = sorted(places.intersection(p.lower() for p in story.places))
    score = similarity * factor + place_bonus * min(2, len(shared_places))
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
