"""The story engine: one item in, one final decision out, plus the state to persist.

Order of checks per item: exact copy (content hash) -> revision (same guid, or SimHash
within a few bits) -> best story by score -> new story. After a join, a second live story
the item also matches strongly is merged into the first (healing an early split), and an
item dated before its story's opener becomes the opener (event time, not arrival order).

The engine is single-threaded, pure (no I/O) and deterministic: the same items in the same
order give the same story ids, relations and scores, whether or not the engine was restored
from its state in between.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from processors.stories.features import ItemFeatures, content_hash, featurise, full_text
from processors.stories.index import StoryIndex
from processors.stories.kernels import near_copies
from processors.stories.model import (
    DUPLICATE,
    NEW,
    REVISION,
    UPDATE,
    Assignment,
    EngineConfig,
    StoryDoc,
)
from processors.stories.prior import LANGS, background_prior
from processors.stories.scoring import (
    Match,
    build_vector,
    find_candidates,
    score_stories,
)
from processors.stories.state import (
    META_KEY,
    Changes,
    add_names,
    checkpoint_key,
    checkpoint_value,
    delta_key,
    encode_vector,
    kept_key,
    read_table,
    story_key,
    story_keys,
)
from processors.stories.story import EMPTY_IDS, EMPTY_W, KeptItem, Story, merge_centroid
from processors.stories.text import content_term, tokenise
from schemas.models import StorySnapshot

__all__ = ["META_KEY", "StoryEngine", "story_key"]

_MAX_LABELS = 8  # places/agencies/languages kept per story
_NEAR_COPY_STORIES = 3  # best-matching stories whose kept items are checked for revisions
_MAX_SHADOW = 4  # stories a new story remembers it was kept out of by a conflict only


class StoryEngine:
    """Assigns items to stories. Persist ``Assignment.state_changes``; rebuild with ``restore``."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.stories: dict[str, Story] = {}
        cfg = self.config
        prior = background_prior(cfg.stem_len, cfg.idf_prior_terms) if cfg.idf_prior > 0 else None
        self.index = StoryIndex(cfg.index_terms, prior, cfg.idf_prior, cfg.idf_prior_max_terms)
        self.arrivals = 0
        self.clock: float | None = None  # event time: the latest published_at seen

    # -- persistence ---------------------------------------------------------------------
    @classmethod
    def restore(cls, config: EngineConfig, items: Iterable[tuple[Any, Any]]) -> StoryEngine:
        """An engine equal to the one whose ``state_changes`` produced ``items``."""
        engine = cls(config)
        meta, stories = read_table(items, config.max_story_terms, config.max_names)
        if meta is not None:
            engine.arrivals = int(meta["arrivals"])
            engine.clock = meta["clock"]
        for story in sorted(stories, key=lambda s: (s.last_arrival, s.seq)):  # touch order
            engine.stories[story.story_id] = story
            engine.index.add_story(story)
        return engine

    def _meta(self) -> dict[str, Any]:
        return {"arrivals": self.arrivals, "clock": self.clock}

    # -- the decision ----------------------------------------------------------------------
    def snapshot_of(self, story_id: str) -> StorySnapshot | None:
        """A live story as it stands (no version taken), or None."""
        story = self.stories.get(story_id)
        return story.snapshot() if story is not None else None

    def assign(self, doc: StoryDoc, features: ItemFeatures | None = None) -> Assignment:
        """The decision for one item. ``features`` (``featurise(doc, config.stem_len)``) may
        be computed ahead, elsewhere; the decision is the same either way."""
        cfg = self.config
        self.arrivals += 1
        ts = doc.published_at.timestamp() if doc.published_at is not None else None
        if ts is not None and (self.clock is None or ts > self.clock):
            self.clock = ts
        changes: Changes = {}
        if self.arrivals % cfg.sweep_every == 0:
            for story in self._sweep():
                changes.update(dict.fromkeys(story_keys(story)))

        tokens = None
        if features is None:
            tokens = tokenise(full_text(doc))
            chash = content_hash(doc, tokens)
        else:
            chash = features.content_hash
        hit = self.index.by_hash.get(chash)
        if hit is not None:
            story = self.stories[hit[0]]
            changes[META_KEY] = self._meta()
            evidence = {"matched_item": hit[1], "content_hash": chash}
            return Assignment(story.story_id, DUPLICATE, 1.0, evidence, story.snapshot(), changes)

        terms = features or featurise(doc, cfg.stem_len, tokens, chash)
        boost = cfg.name_boost
        if cfg.guess_names and not terms.names and _uncased(doc) and _listed_language(doc):
            terms = self._guessed_names(terms, doc)
            if not cfg.guess_boost:
                boost = 1.0
        head_names = terms.head_names
        kept = KeptItem(doc.id, chash, doc.guid, terms.simhash, terms.n_tokens)
        merged: list[str] = []
        demoted: list[str] = []
        revised = self._find_revision(doc)
        if revised is not None:
            story, evidence = revised
            relation, score = REVISION, 1.0
        else:
            vec = build_vector(terms, self.index, len(self.stories), boost)
            places = {p.lower() for p in doc.places}
            candidates, touched = find_candidates(
                vec, self.index, cfg.query_terms, cfg.max_posting, cfg.max_candidates,
            )
            matches = sorted(
                score_stories(vec, candidates, ts, places, cfg, self._idf, head_names),
                key=lambda m: (-m.score, m.story.seq),
            )
            best = matches[0] if matches else None
            evidence = best.evidence(vec) if best is not None else {}
            evidence["candidates"] = touched
            score = best.score if best is not None else 0.0
            near = self._near_copy_in(kept, [m.story for m in matches[:_NEAR_COPY_STORIES]])
            name_ids = vec.nids
            if near is not None:
                story, relation = near[0], REVISION
                evidence.update(near[1])
                score = 1.0 - near[1]["simhash_bits"] / 64.0
            elif best is not None and best.score >= cfg.join_threshold:
                story, relation = best.story, UPDATE
                if terms.lang and story.languages and terms.lang not in story.languages:
                    evidence["cross_language"] = [*story.languages, terms.lang]
                story.item_count += 1
                story.core = None
                if self._reopens(story, ts):
                    relation = NEW
                    demoted.append(story.opener)
                    story.opener = doc.id
                self._absorb(story, vec.ids, vec.weights, name_ids, changes, vec.years)
                for other in self._bridged(matches[1:], story):
                    story, gone = self._merge(story, other, changes, demoted)
                    merged.append(gone.story_id)
                if doc.id in demoted:  # it reopened a story that was then merged away
                    demoted.remove(doc.id)
                    relation = UPDATE
            else:
                story, relation = self._open_story(doc), NEW
                story.shadow = {m.story.story_id for m in matches[:_MAX_SHADOW]
                                if m.conflict and m.raw >= cfg.join_threshold}
                self._absorb(story, vec.ids, vec.weights, name_ids, changes, vec.years)
        self._remember(story, kept, replace_guid=relation == REVISION, changes=changes)
        story.version += 1
        if ts is None and story.last_ts is None or ts is not None and (
            story.last_ts is None or ts >= story.last_ts
        ):
            story.headline = doc.title  # the latest development by event time
            story.head_names = head_names
        self._touch(story, ts)
        _add_labels(story.places, doc.places)
        _add_labels(story.agencies, doc.agencies)
        _add_labels(story.languages, [terms.lang] if terms.lang else [])
        if merged:
            evidence["merged"] = merged
        if demoted:
            evidence["demoted"] = demoted
        changes[story_key(story.story_id)] = story.header()
        changes[META_KEY] = self._meta()
        return Assignment(story.story_id, relation, score, evidence, story.snapshot(), changes,
                          merged, demoted)

    # -- steps -------------------------------------------------------------------------------
    def _guessed_names(self, terms: ItemFeatures, doc: StoryDoc) -> ItemFeatures:
        """``terms`` with names guessed for an item whose case says nothing: content terms
        (letters only, ``guess_min_len`` or longer) whose background share is at most
        ``guess_share`` (0: in no word list of the wire languages; most such terms in a news
        snippet are names, some are misspellings). Title terms among them are its headline
        names. A pure function of the item and the shipped table, so a restored engine and
        one handed precomputed features guess the same."""
        cfg = self.config
        prior = background_prior(cfg.stem_len, cfg.idf_prior_terms)
        ids = terms.ids
        if len(ids) == 0:
            return terms
        guess = prior.share(ids) <= cfg.guess_share
        words = terms.words
        id_list = ids.tolist()
        for i in np.flatnonzero(guess).tolist():
            w = words[id_list[i]]
            if len(w) < cfg.guess_min_len or not w.isalpha() or w == w.upper():
                guess[i] = False
        if not guess.any():
            return terms
        name_ids = ids[guess].tolist()
        names = frozenset(words[t] for t in name_ids)
        title = {content_term(t, cfg.stem_len) for t in tokenise(doc.title)}
        head = sorted(t for t in name_ids if words[t] in title)
        return dataclasses.replace(terms, names=names, name_mask=guess, name_ids=name_ids,
                                   head_names=head)

    def _idf(self, ids: np.ndarray) -> np.ndarray:
        return self.index.idf(ids, len(self.stories))

    def _reopens(self, story: Story, ts: float | None) -> bool:
        """Whether a joining item dated before the story's opener takes its place."""
        if ts is None or story.first_ts is None or ts >= story.first_ts:
            return False
        return self.clock is None or self.clock - ts <= self.config.lateness_hours * 3600.0

    def _bridged(self, others: list[Match], story: Story) -> list[Story]:
        """Other live stories the item matches as strongly as a merge requires: ``merge_threshold``
        without a conflict; ``single_merge`` without a conflict for a one-item story (an item
        that found no story when it arrived: on ECB+ an early split 2-8 times as often as a
        look-alike, and a wrong merge moves one item); ``shadow_merge`` before conflicts for
        a story a conflict alone kept apart from this one."""
        cfg = self.config
        single = cfg.single_merge or cfg.merge_threshold
        return [m.story for m in others
                if not m.conflict and (m.score >= cfg.merge_threshold
                                       or m.story.item_count == 1 and m.score >= single)
                or m.raw >= cfg.shadow_merge and (m.story.story_id in story.shadow
                                                  or story.story_id in m.story.shadow)]

    def _merge(
        self, story: Story, other: Story, changes: Changes, demoted: list[str]
    ) -> tuple[Story, Story]:
        """Merge two stories into the one opened first in event time: (survivor, merged)."""
        keep, gone = sorted((story, other), key=_opening_order)
        for key in story_keys(gone):
            changes[key] = None
        self.index.remove_story(gone)
        del self.stories[gone.story_id]
        if gone.opener:
            demoted.append(gone.opener)
        k = self.config.index_terms
        old = keep.index_terms(k)
        entered, left = merge_centroid(keep, gone.term_ids, gone.weights,
                                       self.config.max_story_terms, gone.years)
        self.index.count_terms(entered, left)
        self.index.repost(keep, old, keep.index_terms(k))
        for t, c in gone.names.items():
            add_names(keep, [t] * c, self.config.max_names)
        for key in range(keep.checkpoint, keep.n_deltas):
            changes[delta_key(keep.story_id, key)] = None
        keep.checkpoint = keep.n_deltas
        changes[checkpoint_key(keep.story_id)] = checkpoint_value(keep)
        if gone.last_ts is not None and (keep.last_ts is None or gone.last_ts > keep.last_ts):
            keep.headline = gone.headline
            keep.head_names = gone.head_names
        keep.item_count += gone.item_count
        keep.shadow = set(sorted((keep.shadow | gone.shadow) - {keep.story_id, gone.story_id})
                          [:_MAX_SHADOW])
        keep.core = None
        self._touch(keep, gone.first_ts)
        self._touch(keep, gone.last_ts)
        for label, theirs in ((keep.places, gone.places), (keep.agencies, gone.agencies),
                              (keep.languages, gone.languages)):
            _add_labels(label, theirs)
        for item in gone.items:
            self._remember(keep, KeptItem(item.item_id, item.content_hash, item.guid,
                                          item.simhash, item.n_tokens), False,
                           changes)
        return keep, gone

    def _find_revision(self, doc: StoryDoc) -> tuple[Story, dict] | None:
        """Same guid with new content."""
        if doc.guid:
            hit = self.index.by_guid.get(doc.guid)
            if hit is not None:
                return self.stories[hit[0]], {"matched_item": hit[1], "guid": doc.guid}
        return None

    def _near_copy_in(self, kept: KeptItem, stories: list[Story]) -> tuple[Story, dict] | None:
        """The closest kept item of the best-matching stories, if within a few SimHash bits.

        Only items of stories the text already matches best are compared: a copy lands among
        them, and a rewrite of another event cannot qualify. One vectorised XOR/popcount over
        all their SimHashes; no global SimHash index needed.
        """
        cfg = self.config
        if kept.simhash is None or not stories:
            return None
        parts = [s.simhashes() for s in stories]
        best: tuple[int, int, str, Story] | None = None
        for k, j, n_bits in near_copies([p[0] for p in parts], kept.simhash,
                                        cfg.revision_max_hamming):
            story, item = stories[k], parts[k][1][j]
            shorter, longer = sorted((kept.n_tokens, item.n_tokens))
            if shorter < cfg.revision_min_length_ratio * longer:
                continue
            cand = (n_bits, story.seq, item.item_id, story)
            if best is None or cand[:3] < best[:3]:
                best = cand
        if best is None:
            return None
        n_bits, _, item_id, story = best
        return story, {"matched_item": item_id, "simhash_bits": n_bits}

    def _open_story(self, doc: StoryDoc) -> Story:
        sid = hashlib.blake2b(doc.id.encode(), digest_size=8).hexdigest()
        if sid in self.stories:  # the same item id opened a story that is still live
            sid = hashlib.blake2b(f"{doc.id}#{self.arrivals}".encode(), digest_size=8).hexdigest()
        story = Story(
            story_id=sid, seq=self.arrivals, version=0, headline=doc.title, first_ts=None,
            last_ts=None, active_ts=None, last_arrival=self.arrivals, item_count=1,
            term_ids=EMPTY_IDS, weights=EMPTY_W, norm=0.0, opener=doc.id,
        )
        self.stories[sid] = story
        return story

    def _absorb(self, story: Story, ids: np.ndarray, weights: np.ndarray, names: list[int],
                changes: Changes, years: frozenset[int] | None = None) -> None:
        cfg = self.config
        w32 = weights.astype(np.float32)
        old = story.index_terms(cfg.index_terms)
        entered, left = merge_centroid(story, ids, w32, cfg.max_story_terms, years)
        add_names(story, names, cfg.max_names)
        self.index.count_terms(entered, left)
        self.index.repost(story, old, story.index_terms(cfg.index_terms))
        sid = story.story_id
        story.n_deltas += 1
        if story.n_deltas - story.checkpoint >= cfg.checkpoint_every:
            for n in range(story.checkpoint, story.n_deltas - 1):
                changes[delta_key(sid, n)] = None
            story.checkpoint = story.n_deltas
            changes[checkpoint_key(sid)] = checkpoint_value(story)
        else:
            changes[delta_key(sid, story.n_deltas - 1)] = encode_vector(ids, w32, names)

    def _remember(self, story: Story, kept: KeptItem, replace_guid: bool,
                  changes: Changes) -> None:
        sid = story.story_id
        story.copies = None
        if replace_guid and kept.guid:
            for old in [it for it in story.items if it.guid == kept.guid]:
                story.items.remove(old)
                self.index.remove_item(sid, old)
                changes[kept_key(sid, old.n)] = None
        kept.n = story.n_kept
        story.n_kept += 1
        story.items.append(kept)
        self.index.add_item(sid, kept)
        changes[kept_key(sid, kept.n)] = kept.to_value()
        while len(story.items) > self.config.max_items_kept:
            old = story.items.pop(0)
            self.index.remove_item(sid, old)
            changes[kept_key(sid, old.n)] = None

    def _touch(self, story: Story, ts: float | None) -> None:
        """Record activity on a story and move it to the end of ``self.stories``.

        ``self.stories`` is thereby kept in touch order, which is also the order of
        ``last_arrival`` and of ``active_ts`` (the event clock never goes back), so a sweep
        reads idle stories from the front and stops at the first one still active.
        """
        story.touch_time(ts, self.clock, self.arrivals)
        stories = self.stories
        stories[story.story_id] = stories.pop(story.story_id)

    def _sweep(self) -> list[Story]:
        """Close stories idle for ``idle_hours`` of event time *and* ``min_idle_items`` arrivals.

        The arrival guard keeps out-of-order streams (backfills, shuffled archives) from
        closing a story just because one item far in the future moved the clock. Stories are
        kept in touch order (``_touch``), so the work is the number of stories closed, not
        the number live.
        """
        cfg = self.config
        horizon = None if self.clock is None else self.clock - cfg.idle_hours * 3600.0
        evicted = []
        for story in self.stories.values():
            if self.arrivals - story.last_arrival < cfg.min_idle_items:
                break
            if not (horizon is None or story.active_ts is None or story.active_ts < horizon):
                break
            evicted.append(story)
        for story in evicted:
            self.index.remove_story(self.stories.pop(story.story_id))
        return evicted

    @property
    def live_stories(self) -> int:
        return len(self.stories)


def _uncased(doc: StoryDoc) -> bool:
    """Whether the item's text was lowercased: letters that have case, none of them a
    capital. Arabic, Hebrew, CJK, Thai... have no case at all: their capitals are not missing,
    so there are no names to guess there (every word of theirs is in no word list)."""
    return f"{doc.title} {doc.text}".islower()


def _listed_language(doc: StoryDoc) -> bool:
    """Whether the item is in a language of the background word lists (or says none): in
    another language (Russian, Polish, Turkish...) every word is in no list, so every word
    would be taken for a name and any two items would have a name conflict."""
    return not doc.lang or doc.lang.split("-")[0].split("_")[0].lower() in LANGS


def _opening_order(story: Story) -> tuple[bool, float, int]:
    """Stories by their opener's event time (undated last), then arrival."""
    return (story.first_ts is None, story.first_ts or 0.0, story.seq)


def _add_labels(labels: list[str], new: Iterable[str]) -> None:
    for label in new:
        if label and label not in labels and len(labels) < _MAX_LABELS:
            labels.append(label)
