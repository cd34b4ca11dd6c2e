"""Item vectors and the join score of an item against a story.

The score is ``cosine(item, story centroid) * year_factor + place_bonus``:
- cosine over log-TF x inverse-story-frequency vectors: shared *rare* terms dominate, which
  works on lowercased, punctuation-free text; names (capitalised mid-sentence) get a modest
  boost when the text still has case;
- ``year_factor`` damps the similarity when the item names years and the story names years
  and none agree: look-alike events (two earthquakes, two rehab stays) often differ there;
  months likewise, for full-length items (``month_min_terms``); a weak match (>=
  ``dated_join``) joins when both name a year few live stories name (``dated_share``);
- a small bonus per shared dateline place, because wires put the place first and it is the
  one entity that is always extracted cleanly.

Time proximity is deliberately not in the score: eviction after ``idle_hours`` already keeps
stale stories out, and a decay on published dates hurt on ECB+ where dates are noisy. The
gap is still reported as evidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from processors.stories.features import ItemFeatures
from processors.stories.index import StoryIndex
from processors.stories.kernels import (
    centroid_sims,
    item_weights,
    rank_candidates,
    rank_scores,
    story_gaps,
)
from processors.stories.kernels import shared_terms as top_shared
from processors.stories.model import EngineConfig
from processors.stories.story import Story, months_of


@dataclass(slots=True)
class ItemVector:
    """A unit vector over stable term ids (sorted), with the words, names and years behind
    the ids (all from the item's ``ItemFeatures``)."""

    ids: np.ndarray  # uint32, sorted
    weights: np.ndarray  # float64, unit length
    words: dict[int, str]
    names: frozenset[str]
    mask: np.ndarray  # bool: which of ``ids`` are names
    nids: list[int]  # term ids of ``names``, sorted
    years: frozenset[int]  # year term ids among ``ids``

    def top(self, k: int) -> list[tuple[int, float]]:
        """The k heaviest terms, ties broken by id so the order is reproducible."""
        if len(self.ids) == 0:
            return []
        order = np.lexsort((self.ids, -self.weights))[:k]
        return list(zip(self.ids[order].tolist(), self.weights[order].tolist(), strict=True))


def build_vector(
    features: ItemFeatures, index: StoryIndex, n_stories: int, name_boost: float = 1.0
) -> ItemVector:
    """Log-TF x inverse story frequency (``StoryIndex.weight_log_ratios``: with the background
    prior for short items), names boosted, scaled to unit length."""
    weights = item_weights(index.weight_log_ratios(features.ids, n_stories), features.log_tf,
                           features.name_mask, name_boost)
    norm = math.sqrt(float(np.dot(weights, weights)))
    if norm > 0:
        weights = weights / norm
    return ItemVector(ids=features.ids, weights=weights, words=features.words,
                      names=features.names, mask=features.name_mask, nids=features.name_ids,
                      years=features.years)


@dataclass(slots=True)
class Match:
    """The score of one item against one story, with the evidence behind it."""

    story: Story
    score: float
    similarity: float
    time_gap_hours: float | None
    shared_places: list[str]
    conflict: bool = False  # other main entities named, or an outlier of a tight small story
    raw: float = 0.0  # the score before name/headline conflicts

    def evidence(self, vec: ItemVector) -> dict[str, object]:
        return {
            "story_id": self.story.story_id,
            "similarity": round(self.similarity, 4),
            "time_gap_hours": _round(self.time_gap_hours),
            "shared_places": self.shared_places,
            "shared_terms": shared_terms(vec, self.story),
        }


def time_gap_hours(ts: float | None, story: Story) -> float | None:
    """Hours between the item and the story's dated span; ``None`` if either is undated."""
    if ts is None or story.first_ts is None or story.last_ts is None:
        return None
    return max(0.0, story.first_ts - ts, ts - story.last_ts) / 3600.0


def shared_terms(vec: ItemVector, story: Story, k: int = 8) -> list[str]:
    """The words that contribute most to the item's similarity with the story."""
    words = vec.words
    return [words[t] for t in top_shared(vec.ids, vec.weights, story.term_ids, story.weights, k)]


def score_stories(
    vec: ItemVector,
    stories: list[Story],
    ts: float | None,
    places: set[str],
    cfg: EngineConfig,
    idf: Callable[[np.ndarray], np.ndarray],
    head_names: list[int] | None = None,
) -> list[Match]:
    """Cosine to each centroid, damped on a year or name conflict, plus place and recency
    bonuses; the matches that matter (top three, and all that could join), best first.

    One vectorised pass over all candidates' centroids rather than one numpy call chain per
    story: per-call overhead, not arithmetic, is what costs at these sizes.
    """
    n = len(stories)
    if n == 0:
        return []
    join = cfg.join_threshold
    rare = 1.0 + math.log(1.0 / cfg.dated_share)  # the IDF of a term that share of stories hold
    name_w = vec.weights * vec.weights * vec.mask if vec.names else None
    sims, norms, covered = centroid_sims(vec.ids, vec.weights, stories, name_w)
    factor = np.ones(n)
    bonus = np.zeros(n)
    doc_years = vec.years
    if doc_years:
        for i, story in enumerate(stories):
            if story.years and not doc_years & story.years:
                factor[i] = cfg.year_conflict
    doc_months = months_of(vec.ids) if len(vec.ids) >= cfg.month_min_terms else None
    if doc_months:
        for i, story in enumerate(stories):
            months = story.month_set()
            if months and not doc_months & months:
                factor[i] *= cfg.month_conflict
    gaps: list[float] | None = None  # NaN: undated
    if ts is not None:
        gap, dated, lives = story_gaps(stories, ts, sims, cfg.recency_half_life_hours)
        if len(dated):  # numpy's power, not C's: the bonus must not depend on the build
            bonus[dated] += cfg.recency_bonus * 0.5 ** lives
        gaps = gap.tolist()
    shared: list[list[str]] | None = None
    if places:
        shared = [[] for _ in range(n)]
        for i, story in enumerate(stories):
            shared[i] = sorted(places.intersection(p.lower() for p in story.places))
            bonus[i] += cfg.place_bonus * min(2, len(shared[i]))
    if doc_years and cfg.dated_join < join:
        raw = sims * factor
        for i in ((raw >= cfg.dated_join) & (raw < join)).nonzero()[0].tolist():
            common = doc_years & stories[i].years
            if common and float(idf(np.array(sorted(common), dtype=np.uint32)).max()) >= rare:
                bonus[i] += join - raw[i]  # exact (Sterbenz): raw[i] + this == join
    scores = sims * factor + bonus
    conflict = np.zeros(n, dtype=bool)
    check = (scores >= join).nonzero()[0]
    if vec.names and len(check):
        conflict[check] = name_conflicts(vec, [stories[i] for i in check.tolist()],
                                         name_w, covered[check], idf, cfg)
        factor[conflict] *= cfg.name_conflict
    if head_names and len(check):
        heads = headline_conflicts(vec, stories, check, head_names, cfg)
        factor[heads] *= cfg.headline_conflict
        conflict |= heads
    if cfg.cohesion_ratio > 0 and len(vec.ids) >= cfg.cohesion_min_terms and len(check):
        outliers = cohesion_outliers(sims, norms, stories, cfg) & (scores >= join)
        factor[outliers] *= cfg.cohesion_conflict
        conflict |= outliers
    bonus[conflict] = 0.0  # time and place do not make up for other main entities
    final = sims * factor + bonus
    scores_l = final.tolist()
    sims_l, conflict_l, raw_l = sims.tolist(), conflict.tolist(), scores.tolist()
    matches = []
    for i in rank_scores(final, stories, join, 3):
        gap_i = None if gaps is None or gaps[i] != gaps[i] else gaps[i]
        matches.append(Match(stories[i], scores_l[i], sims_l[i], gap_i,
                             shared[i] if shared is not None else [], conflict_l[i], raw_l[i]))
    return matches


def cohesion_outliers(
    sims: np.ndarray, norms: np.ndarray, stories: list[Story], cfg: EngineConfig
) -> np.ndarray:
    """Whether the item is much less similar to each small story than its items are to each
    other: ``sims`` under ``cfg.cohesion_ratio`` of what a typical member would score.

    A centroid is the sum of its n unit item vectors, so ``norm**2 = n + n(n-1) rho`` gives
    the mean pairwise cosine ``rho`` of its items with nothing more stored; an item that close
    to each of them would score ``n rho / norm`` against the centroid. The first item of a
    look-alike event (another arrest on the same team, another pirate capture by the same
    navy) shares the topic's words and clears the join threshold, but sits far below what
    the story's own tight items score; a true update to a loose story does not. Stories of
    one item (no ``rho``) and of more than ``cfg.cohesion_max_items`` items (whose centroid
    has absorbed the event's variety) are not tested."""
    count = np.array([s.item_count for s in stories], dtype=np.float64)
    pairs = count * (count - 1.0)
    rho = np.divide(norms * norms - count, pairs, out=np.zeros(len(stories)), where=pairs > 0)
    small = (rho > 0) & (count <= cfg.cohesion_max_items)
    expected = np.zeros(len(stories))
    expected[small] = count[small] * rho[small] / norms[small]
    return small & (sims < cfg.cohesion_ratio * expected)


def headline_conflicts(
    vec: ItemVector, stories: list[Story], rows: np.ndarray, head_names: list[int],
    cfg: EngineConfig,
) -> np.ndarray:
    """Whether the item's headline names someone the story never mentions *and* the story's
    headline names someone the item never mentions: FC Utrecht - Feyenoord is not
    FC Utrecht - Cercle Brugge, Heineken's results are not Philips's.

    "Someone" means at least ``cfg.headline_missing`` of that side's headline names: one of a
    short headline's one to three, but more than one of a long headline's (a lede sentence used
    as title names many people, and one of them missing on each side says little)."""
    out = np.zeros(len(stories), dtype=bool)
    heads = np.array(head_names, dtype=np.uint32)
    for i in rows.tolist():
        story = stories[i]
        if not story.head_names or story.item_count > 1:  # a grown story's headline drifts
            continue
        p = np.searchsorted(story.term_ids, heads)
        p[p == len(story.term_ids)] = 0
        if len(story.term_ids) == 0 or bool((story.term_ids[p] == heads).all()):
            continue
        theirs = np.array(story.head_names, dtype=np.uint32)
        q = np.searchsorted(vec.ids, theirs)
        q[q == len(vec.ids)] = 0
        share = cfg.headline_missing  # a long headline may miss one of many names
        out[i] = bool((story.term_ids[p] != heads).mean() >= share) and bool(
            (vec.ids[q] != theirs).mean() >= share)
    return out


def name_conflicts(
    vec: ItemVector, stories: list[Story], name_w: np.ndarray, covered: np.ndarray,
    idf: Callable[[np.ndarray], np.ndarray], cfg: EngineConfig,
) -> np.ndarray:
    """Whether item and story each name main entities the other does not mention at all.

    The item side: the share of its name weight on terms absent from the story's centroid.
    The story side: the share of its core names' IDF absent from the item. Both must be
    large: an update adds a new name or two, a look-alike event (another club, another
    company, another victim) swaps the main ones. ``name_w`` is the item's squared weight
    on its names (0 elsewhere); ``covered``, per story, the part of it the centroid holds.
    """
    n = len(stories)
    total = float(name_w.sum())
    if total <= 0:
        return np.zeros(n, dtype=bool)
    item_missing = (total - covered) / total
    cores = [s.core_names(cfg.conflict_share) for s in stories]
    cat = np.concatenate(cores)
    if len(cat) == 0:
        return np.zeros(n, dtype=bool)
    who = np.repeat(np.arange(n), [len(c) for c in cores])
    w = idf(cat)
    p = np.searchsorted(vec.ids, cat)
    p[p == len(vec.ids)] = 0
    missing = vec.ids[p] != cat
    story_missing = np.bincount(who[missing], weights=w[missing], minlength=n)
    story_total = np.bincount(who, weights=w, minlength=n)
    return (item_missing >= cfg.conflict_missing) & (story_total > 0) & (
        story_missing >= cfg.conflict_missing * story_total)


def find_candidates(
    vec: ItemVector, index: StoryIndex, k_query: int, max_posting: int, max_candidates: int,
) -> tuple[list[Story], int]:
    """Stories sharing the item's heaviest terms, best first; and how many were touched
    (``kernels.rank_candidates``: the postings are short, a median item touches ~90
    entries, so it is a loop, compiled where the build could)."""
    return rank_candidates(vec.ids, vec.weights, k_query, index.postings, max_posting,
                           max_candidates, index.slot_stories, index.slot_ids, index.scratch)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
