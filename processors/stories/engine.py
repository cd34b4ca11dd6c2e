"""The story engine: one item in, one final decision out, plus the state to persist.

Order of checks per item: exact copy (content hash) -> revision (same guid, or SimHash
within a few bits) -> best story by score -> new story. The engine is single-threaded,
pure (no I/O) and deterministic: the same items in the same order give the same story ids,
relations and scores, whether or not the engine was restored from its state in between.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson

from processors.stories.index import StoryIndex
from processors.stories.model import (
    DUPLICATE,
    NEW,
    REVISION,
    UPDATE,
    Assignment,
    EngineConfig,
    StoryDoc,
)
from processors.stories.scoring import build_vector, find_candidates, score_stories
from processors.stories.story import KeptItem, Story, merge_centroid
from processors.stories.text import extract_terms, hamming, hash_tokens, simhash, tokenise

META_KEY = "meta"
STORY_PREFIX = "s:"
_MAX_LABELS = 8  # places/agencies/languages kept per story
_NEAR_COPY_STORIES = 3  # best-matching stories whose kept items are checked for revisions


def story_key(story_id: str) -> str:
    return STORY_PREFIX + story_id


class StoryEngine:
    """Assigns items to stories. Persist ``Assignment.state_changes``; rebuild with ``restore``."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.stories: dict[str, Story] = {}
        self.index = StoryIndex(self.config.index_terms)
        self.arrivals = 0
        self.clock: float | None = None  # event time: the latest published_at seen

    # -- persistence ---------------------------------------------------------------------
    @classmethod
    def restore(cls, config: EngineConfig, items: Iterable[tuple[Any, Any]]) -> StoryEngine:
        """An engine equal to the one whose ``state_changes`` produced ``items``."""
        engine = cls(config)
        for raw_key, raw_value in items:
            key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            value = orjson.loads(raw_value) if isinstance(raw_value, bytes | str) else raw_value
            if value is None:
                continue
            if key == META_KEY:
                engine.arrivals = int(value["arrivals"])
                engine.clock = value["clock"]
            elif key.startswith(STORY_PREFIX):
                sid = key[len(STORY_PREFIX):]
                engine.stories[sid] = Story.from_value(sid, value)
        for story in sorted(engine.stories.values(), key=lambda s: s.seq):
            engine.index.add_story(story)
        return engine

    def _meta(self) -> dict[str, Any]:
        return {"arrivals": self.arrivals, "clock": self.clock}

    # -- the decision ----------------------------------------------------------------------
    def assign(self, doc: StoryDoc) -> Assignment:
        cfg = self.config
        self.arrivals += 1
        ts = doc.published_at.timestamp() if doc.published_at is not None else None
        if ts is not None and (self.clock is None or ts > self.clock):
            self.clock = ts
        changes: dict[str, dict[str, Any] | None] = {}
        if self.arrivals % cfg.sweep_every == 0:
            for sid in self._sweep():
                changes[story_key(sid)] = None

        full_text = f"{doc.title}\n{doc.text}"
        tokens = tokenise(full_text)
        chash = doc.content_hash or hash_tokens(tokens)
        hit = self.index.by_hash.get(chash)
        if hit is not None:
            story = self.stories[hit[0]]
            changes[META_KEY] = self._meta()
            evidence = {"matched_item": hit[1], "content_hash": chash}
            return Assignment(story.story_id, DUPLICATE, 1.0, evidence, story.snapshot(), changes)

        terms = extract_terms(full_text, doc.lang, cfg.stem_len, tokens)
        kept = KeptItem(doc.id, chash, doc.guid, simhash(terms.tokens), len(terms.tokens))
        revised = self._find_revision(doc)
        if revised is not None:
            story, evidence = revised
            relation, score = REVISION, 1.0
        else:
            vec = build_vector(
                terms.tf, self.index, len(self.stories), terms.names, cfg.name_boost
            )
            places = {p.lower() for p in doc.places}
            candidates, touched = find_candidates(
                vec, self.index, self.stories, cfg.query_terms, cfg.max_posting,
                cfg.max_candidates,
            )
            matches = sorted(
                score_stories(vec, candidates, ts, places, cfg),
                key=lambda m: (-m.score, m.story.seq),
            )
            best = matches[0] if matches else None
            evidence = best.evidence(vec) if best is not None else {}
            evidence["candidates"] = touched
            score = best.score if best is not None else 0.0
            near = self._near_copy_in(kept, [m.story for m in matches[:_NEAR_COPY_STORIES]])
            if near is not None:
                story, relation = near[0], REVISION
                evidence.update(near[1])
                score = 1.0 - near[1]["simhash_bits"] / 64.0
            elif best is not None and best.score >= cfg.join_threshold:
                story, relation = best.story, UPDATE
                story.item_count += 1
                self._absorb(story, vec.ids, vec.weights)
            else:
                story, relation = self._open_story(doc), NEW
                self._absorb(story, vec.ids, vec.weights)
        self._remember(story, kept, replace_guid=relation == REVISION)
        story.version += 1
        story.headline = doc.title
        story.touch_time(ts, self.clock, self.arrivals)
        _add_labels(story.places, doc.places)
        _add_labels(story.agencies, doc.agencies)
        _add_labels(story.languages, [terms.lang] if terms.lang else [])
        changes[story_key(story.story_id)] = story.to_value()
        changes[META_KEY] = self._meta()
        return Assignment(story.story_id, relation, score, evidence, story.snapshot(), changes)

    # -- steps -------------------------------------------------------------------------------
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
        them, and a rewrite of another event cannot qualify. No global SimHash index needed.
        """
        cfg = self.config
        if kept.simhash is None:
            return None
        best: tuple[int, int, str, Story] | None = None
        for story in stories:
            for item in story.items:
                if item.simhash is None:
                    continue
                bits = hamming(kept.simhash, item.simhash)
                shorter, longer = sorted((kept.n_tokens, item.n_tokens))
                if bits > cfg.revision_max_hamming:
                    continue
                if shorter < cfg.revision_min_length_ratio * longer:
                    continue
                if best is None or (bits, story.seq, item.item_id) < best[:3]:
                    best = (bits, story.seq, item.item_id, story)
        if best is None:
            return None
        bits, _, item_id, story = best
        return story, {"matched_item": item_id, "simhash_bits": bits}

    def _open_story(self, doc: StoryDoc) -> Story:
        sid = hashlib.blake2b(doc.id.encode(), digest_size=8).hexdigest()
        if sid in self.stories:  # the same item id opened a story that is still live
            sid = hashlib.blake2b(f"{doc.id}#{self.arrivals}".encode(), digest_size=8).hexdigest()
        story = Story(
            story_id=sid, seq=self.arrivals, version=0, headline=doc.title, first_ts=None,
            last_ts=None, active_ts=None, last_arrival=self.arrivals, item_count=1,
            term_ids=np.zeros(0, dtype=np.uint32), weights=np.zeros(0, dtype=np.float32),
            norm=0.0,
        )
        self.stories[sid] = story
        return story

    def _absorb(self, story: Story, ids: np.ndarray, weights: np.ndarray) -> None:
        k = self.config.index_terms
        old = story.index_terms(k)
        entered, left = merge_centroid(story, ids, weights, self.config.max_story_terms)
        self.index.count_terms(entered, left)
        self.index.repost(story.story_id, old, story.index_terms(k))

    def _remember(self, story: Story, kept: KeptItem, replace_guid: bool) -> None:
        sid = story.story_id
        if replace_guid and kept.guid:
            for old in [it for it in story.items if it.guid == kept.guid]:
                story.items.remove(old)
                self.index.remove_item(sid, old)
        story.items.append(kept)
        self.index.add_item(sid, kept)
        while len(story.items) > self.config.max_items_kept:
            self.index.remove_item(sid, story.items.pop(0))

    def _sweep(self) -> list[str]:
        """Close stories idle for ``idle_hours`` of event time *and* ``min_idle_items`` arrivals.

        The arrival guard keeps out-of-order streams (backfills, shuffled archives) from
        closing a story just because one item far in the future moved the clock.
        """
        cfg = self.config
        horizon = None if self.clock is None else self.clock - cfg.idle_hours * 3600.0
        evicted = []
        for sid, story in self.stories.items():
            if self.arrivals - story.last_arrival < cfg.min_idle_items:
                continue
            if horizon is None or story.active_ts is None or story.active_ts < horizon:
                evicted.append(sid)
        for sid in evicted:
            self.index.remove_story(self.stories.pop(sid))
        return evicted

    @property
    def live_stories(self) -> int:
        return len(self.stories)


def _add_labels(labels: list[str], new: Iterable[str]) -> None:
    for label in new:
        if label and label not in labels and len(labels) < _MAX_LABELS:
            labels.append(label)
