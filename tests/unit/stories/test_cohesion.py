"""Cohesion outliers: an item far less similar to a small, tight story than its items are to
each other is held apart (a conflict), while the same similarity joins a loose story."""

from __future__ import annotations

import math

import numpy as np

from processors.stories.model import EngineConfig
from processors.stories.scoring import ItemVector, score_stories
from processors.stories.story import Story

ITEM_IDS = np.arange(1, 101, dtype=np.uint32)  # a full-length item: 100 distinct terms


def _item(n_terms: int = 100) -> ItemVector:
    ids = ITEM_IDS[:n_terms]
    weights = np.full(len(ids), 1.0 / math.sqrt(len(ids)))
    return ItemVector(ids=ids, weights=weights, words={}, names=frozenset(),
                      mask=np.zeros(len(ids), dtype=bool), nids=[], years=frozenset())


def _story(seq: int, items: int, rho: float) -> Story:
    """A story of ``items`` items whose mean pairwise cosine is ``rho``: its centroid is a
    unit direction sharing 30 of the item's 100 terms (cosine 0.3 with the item) scaled to
    the length ``sqrt(n + n(n-1) rho)`` a sum of such item vectors has."""
    ids = np.concatenate([np.arange(1, 31), np.arange(1001, 1071)]).astype(np.uint32)
    norm = math.sqrt(items + items * (items - 1) * rho)
    weights = np.full(100, norm / 10.0, dtype=np.float32)
    s64 = weights.astype(np.float64)
    return Story(story_id=f"s{seq}", seq=seq, version=1, headline="", first_ts=None,
                 last_ts=None, active_ts=None, last_arrival=seq, item_count=items,
                 term_ids=ids, weights=weights, norm=float(np.sqrt(np.dot(s64, s64))))


def _score(stories: list[Story], cfg: EngineConfig, n_terms: int = 100) -> dict[str, object]:
    matches = score_stories(_item(n_terms), stories, None, set(), cfg,
                            lambda ids: np.ones(len(ids)))
    return {m.story.story_id: m for m in matches}


def test_an_outlier_of_a_tight_small_story_is_a_conflict_but_joins_a_loose_one():
    cfg = EngineConfig()
    assert cfg.cohesion_ratio > 0
    tight, loose = _story(1, 3, 0.9), _story(2, 3, 0.1)
    got = _score([tight, loose], cfg)
    # the same cosine 0.3 with both centroids, above the join threshold
    assert abs(got["s1"].similarity - 0.3) < 1e-6 and abs(got["s2"].similarity - 0.3) < 1e-6
    # tight: a typical member scores 3 * 0.9 / sqrt(8.4) = 0.93; 0.3 is an outlier
    assert got["s1"].conflict and got["s1"].score < cfg.join_threshold <= got["s1"].raw
    # loose: a typical member scores 3 * 0.1 / sqrt(3.6) = 0.16; 0.3 joins as before
    assert not got["s2"].conflict and got["s2"].score >= cfg.join_threshold


def test_cohesion_leaves_one_item_big_stories_snippets_alone_and_can_be_turned_off():
    cfg = EngineConfig()
    single = _story(1, 1, 0.0)  # no pairs: nothing known of its cohesion
    big = _story(2, cfg.cohesion_max_items + 1, 0.9)
    got = _score([single, big], cfg)
    assert not got["s1"].conflict and not got["s2"].conflict
    tight = _story(3, 3, 0.9)
    snippet = _score([tight], cfg, n_terms=cfg.cohesion_min_terms - 1)  # a short item
    assert not snippet["s3"].conflict
    off = _score([tight], EngineConfig(cohesion_ratio=0.0))
    assert not off["s3"].conflict and off["s3"].score >= cfg.join_threshold


def test_a_cohesion_conflict_blocks_bridging_and_qualifies_for_a_shadow():
    """Like a name conflict: no bridging merge on it, and when it alone kept the item out
    (``raw`` at the join threshold) the new story remembers the tight one as a shadow, so a
    later item scoring ``shadow_merge`` on both merges them (order robustness)."""
    from processors.stories import StoryEngine

    cfg = EngineConfig()
    engine = StoryEngine(cfg)
    tight = _story(1, 3, 0.9)
    got = _score([tight], cfg)["s1"]
    assert got.conflict and got.raw >= cfg.join_threshold  # what ``assign`` reads for shadows
    assert engine._bridged([got], _story(5, 1, 0.0)) == []  # no bridging merge on a conflict
