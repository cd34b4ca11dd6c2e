"""In-memory indexes over the live stories, rebuilt from the stories alone on restore.

Nothing here is persisted: every structure is a pure function of the set of live stories,
which is what makes ``StoryEngine.restore`` exact. Candidate retrieval goes through an
inverted index over each story's heaviest terms, so the work per item depends on how many
stories share its rare terms, not on how many stories are live.

Memory is what limits the number of live stories, so the two big structures are compact:
story frequencies live in a fixed numpy table indexed by the low bits of the term id (a
rare collision only lowers one term's IDF a little, identically on every replica), and a
posting with a single story holds the story id itself rather than a one-element set.
"""

from __future__ import annotations

import numpy as np

from processors.stories.prior import BackgroundPrior
from processors.stories.story import KeptItem, Story

SF_BITS = 23  # 8M counters (32 MB): collisions stay rare up to a few million live terms
_SF_MASK = np.uint32((1 << SF_BITS) - 1)

Posting = str | set[str]


class StoryIndex:
    """Story frequencies, the term -> stories postings and the copy/revision lookups."""

    def __init__(
        self, index_terms: int, prior: BackgroundPrior | None = None,
        prior_stories: float = 0.0, prior_max_terms: int = 0,
    ) -> None:
        self.index_terms = index_terms
        self.prior = prior  # background shares of terms, for the weights of short items
        self.prior_stories = prior_stories
        self.prior_max_terms = prior_max_terms
        self.story_freq = np.zeros(1 << SF_BITS, dtype=np.uint32)
        self.postings: dict[int, Posting] = {}
        self.by_hash: dict[str, tuple[str, str]] = {}  # content hash -> (story, item)
        self.by_guid: dict[str, tuple[str, str]] = {}  # guid -> (story, item)

    # -- term statistics -------------------------------------------------------------
    def idf(self, term_ids: np.ndarray, n_stories: int) -> np.ndarray:
        """Smoothed inverse *story* frequency: a term repeated by every item of one story
        stays as informative as it was when the story opened."""
        sf = self.story_freq[term_ids & _SF_MASK].astype(np.float64)
        return np.log((n_stories + 1) / (sf + 1.0)) + 1.0

    def weight_idf(self, term_ids: np.ndarray, n_stories: int) -> np.ndarray:
        """The IDF an item's vector is weighted by: ``idf``, except for items with fewer than
        ``prior_max_terms`` distinct terms (``term_ids`` are all of them), where the prior
        adds ``prior_stories`` pseudo-stories holding each term at its background share:
        ``sf + k * share`` of ``n + k``. Then a word common in any of the languages weighs
        little even before any live story holds it, and a name or number still weighs the
        most. Full-length items keep the live counts (their own many terms outvote the
        noise; the prior there lost on full dev)."""
        if self.prior is None or len(term_ids) >= self.prior_max_terms:
            return self.idf(term_ids, n_stories)
        k = self.prior_stories
        sf = self.story_freq[term_ids & _SF_MASK].astype(np.float64)
        sf += k * self.prior.share(term_ids)
        return np.log((n_stories + k + 1) / (sf + 1.0)) + 1.0

    def count_terms(self, entered: np.ndarray, left: np.ndarray) -> None:
        sf = self.story_freq
        if len(entered):
            idx = entered & _SF_MASK
            if _distinct(idx):  # plain fancy indexing is several times cheaper than ufunc.at
                sf[idx] += 1
            else:
                np.add.at(sf, idx, 1)
        if len(left):
            idx = left & _SF_MASK
            if _distinct(idx):
                sf[idx] -= 1
            else:
                np.subtract.at(sf, idx, 1)

    # -- postings ----------------------------------------------------------------------
    def stories_with(self, term: int) -> Posting | None:
        return self.postings.get(term)

    def post(self, story_id: str, terms: list[int]) -> None:
        postings = self.postings
        for t in terms:
            cur = postings.get(t)
            if cur is None:
                postings[t] = story_id
            elif isinstance(cur, str):
                if cur != story_id:
                    postings[t] = {cur, story_id}
            else:
                cur.add(story_id)

    def unpost(self, story_id: str, terms: list[int]) -> None:
        postings = self.postings
        for t in terms:
            cur = postings.get(t)
            if cur is None:
                continue
            if isinstance(cur, str):
                if cur == story_id:
                    del postings[t]
                continue
            cur.discard(story_id)
            if len(cur) == 1:
                postings[t] = next(iter(cur))

    def repost(self, story_id: str, old: list[int], new: list[int]) -> None:
        """Move a story's postings from its old heaviest terms to its new ones."""
        new_set, old_set = set(new), set(old)
        self.unpost(story_id, [t for t in old if t not in new_set])
        self.post(story_id, [t for t in new if t not in old_set])

    # -- kept items: duplicates and revisions -----------------------------------------
    def add_item(self, sid: str, item: KeptItem) -> None:
        self.by_hash[item.content_hash] = (sid, item.item_id)
        if item.guid:
            self.by_guid[item.guid] = (sid, item.item_id)

    def remove_item(self, sid: str, item: KeptItem) -> None:
        key = (sid, item.item_id)
        if self.by_hash.get(item.content_hash) == key:
            del self.by_hash[item.content_hash]
        if item.guid and self.by_guid.get(item.guid) == key:
            del self.by_guid[item.guid]

    # -- whole stories -----------------------------------------------------------------
    def add_story(self, story: Story) -> None:
        self.count_terms(story.term_ids, story.term_ids[:0])
        self.post(story.story_id, story.index_terms(self.index_terms))
        for item in story.items:
            self.add_item(story.story_id, item)

    def remove_story(self, story: Story) -> None:
        self.count_terms(story.term_ids[:0], story.term_ids)
        self.unpost(story.story_id, story.index_terms(self.index_terms))
        for item in story.items:
            self.remove_item(story.story_id, item)


def _distinct(idx: np.ndarray) -> bool:
    """Whether no two term ids share a counter (then ``a[idx] += 1`` counts each once)."""
    return len(idx) <= 256 and len(set(idx.tolist())) == len(idx)
