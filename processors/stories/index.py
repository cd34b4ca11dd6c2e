"""In-memory indexes over the live stories, rebuilt from the stories alone on restore.

Nothing here is persisted: every structure is a pure function of the set of live stories,
which is what makes ``StoryEngine.restore`` exact. Candidate retrieval goes through an
inverted index over each story's heaviest terms, so the work per item depends on how many
stories share its rare terms, not on how many stories are live.

Memory is what limits the number of live stories, so the two big structures are compact:
story frequencies live in a fixed numpy table indexed by the low bits of the term id (a
rare collision only lowers one term's IDF a little, identically on every replica), and a
posting with a single story holds that story's slot itself rather than a one-element array.

Postings name stories by *slot*, a small integer the index gives each story it holds (and
reuses after the story goes), not by story id: the candidate search
(``kernels.rank_candidates``) then adds weights into an array indexed by slot instead of
hashing a story id per posting entry, which was most of its time at tens of thousands of live
stories. Slots are the index's own business: nothing persisted or emitted names one.
"""

from __future__ import annotations

from array import array

import numpy as np

from processors.stories.kernels import count_terms, idf_ratios, new_scratch, post, unpost
from processors.stories.prior import BackgroundPrior
from processors.stories.story import KeptItem, Story

SF_BITS = 23  # 8M counters (32 MB): collisions stay rare up to a few million live terms
_MASK = (1 << SF_BITS) - 1  # a term id's counter: its low bits

Posting = int | array  # one story's slot, or the slots of several (array of "i")


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
        self.slots: dict[str, int] = {}  # story id -> slot
        self.slot_stories: list[Story | None] = []  # slot -> story (None: a free slot)
        self.slot_ids: list[str | None] = []  # slot -> story id (ties in the candidate search)
        self._free: list[int] = []
        self.scratch = new_scratch()  # the candidate search's accumulators, this index's own
        self.by_hash: dict[str, tuple[str, str]] = {}  # content hash -> (story, item)
        self.by_guid: dict[str, tuple[str, str]] = {}  # guid -> (story, item)

    # -- term statistics -------------------------------------------------------------
    def idf(self, term_ids: np.ndarray, n_stories: int) -> np.ndarray:
        """Smoothed inverse *story* frequency: a term repeated by every item of one story
        stays as informative as it was when the story opened."""
        return np.log(idf_ratios(term_ids, self.story_freq, _MASK, n_stories + 1, None, None,
                                 0.0)) + 1.0

    def weight_idf(self, term_ids: np.ndarray, n_stories: int) -> np.ndarray:
        """The IDF an item's vector is weighted by (``weight_log_ratios`` plus 1)."""
        return self.weight_log_ratios(term_ids, n_stories) + 1.0

    def weight_log_ratios(self, term_ids: np.ndarray, n_stories: int) -> np.ndarray:
        """The log of the IDF ratio an item's vector is weighted by (``kernels.item_weights``
        adds the 1 of ``idf``): as ``idf``, except for items with fewer than
        ``prior_max_terms`` distinct terms (``term_ids`` are all of them), where the prior
        adds ``prior_stories`` pseudo-stories holding each term at its background share:
        ``sf + k * share`` of ``n + k``. Then a word common in any of the languages weighs
        little even before any live story holds it, and a name or number still weighs the
        most. Full-length items keep the live counts (their own many terms outvote the
        noise; the prior there lost on full dev)."""
        if self.prior is None or len(term_ids) >= self.prior_max_terms:
            q = idf_ratios(term_ids, self.story_freq, _MASK, n_stories + 1, None, None, 0.0)
        else:
            k = self.prior_stories
            q = idf_ratios(term_ids, self.story_freq, _MASK, n_stories + k + 1,
                           self.prior.ids, self.prior.shares, k)
        return np.log(q)  # numpy's log, not C's: the weights must not depend on the build

    def count_terms(self, entered: np.ndarray, left: np.ndarray) -> None:
        count_terms(self.story_freq, entered, left, _MASK)

    # -- postings ----------------------------------------------------------------------
    def stories_with(self, term: int) -> set[str]:
        """The ids of the stories posted under ``term``."""
        posting = self.postings.get(term)
        slots = [] if posting is None else [posting] if type(posting) is int else posting
        return {self.slot_stories[s].story_id for s in slots}  # type: ignore[union-attr]

    def _slot(self, story: Story) -> int:
        slot = self.slots.get(story.story_id)
        if slot is None:
            if self._free:
                slot = self._free.pop()
                self.slot_stories[slot] = story
                self.slot_ids[slot] = story.story_id
            else:
                slot = len(self.slot_stories)
                self.slot_stories.append(story)
                self.slot_ids.append(story.story_id)
            self.slots[story.story_id] = slot
        return slot

    def post(self, story: Story, terms: list[int]) -> None:
        post(self.postings, self._slot(story), terms)

    def unpost(self, story: Story, terms: list[int]) -> None:
        slot = self.slots.get(story.story_id)
        if slot is not None:
            unpost(self.postings, slot, terms)

    def repost(self, story: Story, old: list[int], new: list[int]) -> None:
        """Move a story's postings from its old heaviest terms to its new ones."""
        new_set, old_set = set(new), set(old)
        self.unpost(story, [t for t in old if t not in new_set])
        self.post(story, [t for t in new if t not in old_set])

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
        self.post(story, story.index_terms(self.index_terms))
        for item in story.items:
            self.add_item(story.story_id, item)

    def remove_story(self, story: Story) -> None:
        self.count_terms(story.term_ids[:0], story.term_ids)
        self.unpost(story, story.index_terms(self.index_terms))
        for item in story.items:
            self.remove_item(story.story_id, item)
        slot = self.slots.pop(story.story_id, None)
        if slot is not None:
            self.slot_stories[slot] = self.slot_ids[slot] = None
            self._free.append(slot)
