"""The inverted index over live stories: postings that grow from one story to many and
back, and candidate retrieval that ranks by summed weight with ties broken by story id."""

from __future__ import annotations

import numpy as np

from processors.stories.index import StoryIndex
from processors.stories.scoring import ItemVector, find_candidates
from processors.stories.story import Story


def _story(sid: str, terms: list[int]) -> Story:
    ids = np.array(sorted(terms), dtype=np.uint32)
    return Story(story_id=sid, seq=0, version=1, headline=sid, first_ts=None, last_ts=None,
                 active_ts=None, last_arrival=0, item_count=1, term_ids=ids,
                 weights=np.ones(len(ids), dtype=np.float32), norm=1.0)


def _vec(weights: dict[int, float]) -> ItemVector:
    ids = np.array(sorted(weights), dtype=np.uint32)
    return ItemVector(ids=ids, weights=np.array([weights[t] for t in ids.tolist()]), words={},
                      names=frozenset(), mask=np.zeros(len(ids), dtype=bool), nids=[],
                      years=frozenset())


def test_postings_grow_and_shrink():
    """A term of one story holds its slot, of several an array of slots; a story's slot is
    reused once it is gone, and postings are read back as story ids."""
    index = StoryIndex(index_terms=24)
    a, b = _story("a", [1, 2]), _story("b", [2, 3])
    index.add_story(a)
    index.add_story(b)
    assert index.postings[1] == index.slots["a"]  # one story: its slot itself
    assert index.stories_with(2) == {"a", "b"} and len(index.postings[2]) == 2
    index.post(a, [2])  # posting a story twice changes nothing
    assert index.stories_with(2) == {"a", "b"} and len(index.postings[2]) == 2
    index.remove_story(a)
    assert index.postings[2] == index.slots["b"] and 1 not in index.postings
    assert index.stories_with(2) == {"b"} and "a" not in index.slots
    index.unpost(_story("gone", [3]), [3])  # a story the index never held: nothing happens
    assert index.stories_with(3) == {"b"}
    c = _story("c", [3, 4])
    index.add_story(c)  # takes the slot "a" left
    assert index.slot_stories[index.slots["c"]] is c and len(index.slot_stories) == 2
    assert index.stories_with(3) == {"b", "c"} and index.stories_with(4) == {"c"}


def test_candidates_rank_by_summed_weight_and_break_ties_by_story_id():
    """Fourteen stories for twelve places: the two sharing the heaviest term lead; of the
    twelve tied below them (added in descending id order), the ten smallest story ids go
    through."""
    index = StoryIndex(index_terms=24)
    stories = {}
    names = ["z1", "z2"] + [f"s{k:02d}" for k in range(13, 1, -1)]  # tied ones, ids descending
    for k, sid in enumerate(names):
        story = _story(sid, [100, 200] if k < 2 else [200])
        stories[sid] = story
        index.add_story(story)
    vec = _vec({100: 0.8, 200: 0.6})
    found, touched = find_candidates(vec, index, k_query=24, max_posting=200, max_candidates=12)
    assert touched == 14
    assert [s.story_id for s in found] == ["z1", "z2"] + [f"s{k:02d}" for k in range(2, 12)]


def test_long_postings_are_skipped_and_few_candidates_all_returned():
    index = StoryIndex(index_terms=24)
    stories = {sid: _story(sid, [7] if sid != "rare" else [7, 9]) for sid in ("p", "q", "rare")}
    for story in stories.values():
        index.add_story(story)
    vec = _vec({7: 0.5, 9: 0.5})
    found, touched = find_candidates(vec, index, 24, max_posting=2, max_candidates=12)
    assert [s.story_id for s in found] == ["rare"] and touched == 1  # term 7: 3 stories > 2
    empty = StoryIndex(index_terms=24)
    assert find_candidates(vec, empty, 24, 200, 12) == ([], 0)
