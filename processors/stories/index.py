"""In-memory indexes over the live stories, rebuilt from the stories alone on restore.

Nothing here is persisted: every structure is a pure function of the set of live stories,
which is what makes ``StoryEngine.restore`` exact. Candidate retrieval goes through an
inverted index over each story's heaviest terms, so the work per item depends on how many
stories share its rare terms, not on how many stories are live.
"""

from __future__ import annotations

import math
from collections import defaultdict

from processors.stories.story import KeptItem, Story

_BANDS = 4  # 64-bit SimHash in 4 bands of 16 bits: within 3 bits => one band is equal


def _bands(simhash: int) -> list[tuple[int, int]]:
    return [(b, (simhash >> (16 * b)) & 0xFFFF) for b in range(_BANDS)]


class StoryIndex:
    """Story frequencies, the term -> stories postings and the copy/revision lookups."""

    def __init__(self, index_terms: int) -> None:
        self.index_terms = index_terms
        self.story_freq: dict[int, int] = defaultdict(int)
        self.postings: dict[int, set[str]] = defaultdict(set)
        self.posted: dict[str, list[int]] = {}
        self.by_hash: dict[str, tuple[str, str]] = {}  # content hash -> (story, item)
        self.by_guid: dict[str, tuple[str, str]] = {}  # guid -> (story, item)
        # band -> {content hash -> (story, item)}; content hashes are unique among kept items
        self.by_band: dict[tuple[int, int], dict[str, tuple[str, KeptItem]]] = defaultdict(dict)

    # -- term statistics -------------------------------------------------------------
    def idf(self, term: int, n_stories: int) -> float:
        """Smoothed inverse *story* frequency: a term repeated by every item of one story
        stays as informative as it was when the story opened."""
        return math.log((n_stories + 1) / (self.story_freq.get(term, 0) + 1)) + 1.0

    def count_terms(self, entered: list[int], left: list[int]) -> None:
        for t in entered:
            self.story_freq[t] += 1
        for t in left:
            n = self.story_freq[t] - 1
            if n:
                self.story_freq[t] = n
            else:
                del self.story_freq[t]

    # -- postings ----------------------------------------------------------------------
    def repost(self, story: Story) -> None:
        """Point the inverted index at the story's current heaviest terms."""
        new = story.index_terms(self.index_terms)
        old = self.posted.get(story.story_id, [])
        sid = story.story_id
        for t in set(old) - set(new):
            self._unpost(t, sid)
        for t in new:
            self.postings[t].add(sid)
        self.posted[sid] = new

    def _unpost(self, term: int, sid: str) -> None:
        bucket = self.postings.get(term)
        if bucket is not None:
            bucket.discard(sid)
            if not bucket:
                del self.postings[term]

    # -- kept items: duplicates and revisions -----------------------------------------
    def add_item(self, sid: str, item: KeptItem) -> None:
        self.by_hash[item.content_hash] = (sid, item.item_id)
        if item.guid:
            self.by_guid[item.guid] = (sid, item.item_id)
        if item.simhash is not None:
            for band in _bands(item.simhash):
                self.by_band[band][item.content_hash] = (sid, item)

    def remove_item(self, sid: str, item: KeptItem) -> None:
        key = (sid, item.item_id)
        if self.by_hash.get(item.content_hash) == key:
            del self.by_hash[item.content_hash]
        if item.guid and self.by_guid.get(item.guid) == key:
            del self.by_guid[item.guid]
        if item.simhash is not None:
            for band in _bands(item.simhash):
                bucket = self.by_band.get(band)
                if bucket is not None and bucket.get(item.content_hash, ("",))[0] == sid:
                    del bucket[item.content_hash]
                    if not bucket:
                        del self.by_band[band]

    def near_copies(self, simhash: int) -> list[tuple[str, KeptItem]]:
        """Kept items sharing at least one SimHash band with ``simhash`` (unverified)."""
        seen: dict[str, tuple[str, KeptItem]] = {}
        for band in _bands(simhash):
            bucket = self.by_band.get(band)
            if bucket:
                seen.update(bucket)
        return list(seen.values())

    # -- whole stories -----------------------------------------------------------------
    def add_story(self, story: Story) -> None:
        self.count_terms(story.term_ids.tolist(), [])
        self.repost(story)
        for item in story.items:
            self.add_item(story.story_id, item)

    def remove_story(self, story: Story) -> None:
        self.count_terms([], story.term_ids.tolist())
        for t in self.posted.pop(story.story_id, []):
            self._unpost(t, story.story_id)
        for item in story.items:
            self.remove_item(story.story_id, item)
