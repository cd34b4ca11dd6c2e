"""How the engine's state is keyed and encoded in the changelog-backed table.

Per item the engine writes small deltas, never a whole story:

- ``meta``: ``{"arrivals", "clock"}``;
- ``s:<story>``: the story header (``Story.header``: counts, times, headline, labels);
- ``d:<story>:<n>``: the n-th vector added to the centroid (an item, or a merged story);
- ``c:<story>``: a centroid checkpoint covering deltas ``< n``, written every
  ``EngineConfig.checkpoint_every`` deltas, when the deltas it covers are deleted;
- ``k:<story>:<n>``: a kept item (copy/revision lookups), deleted when it leaves the window.

Vectors are base64 of little-endian uint32 term ids and float32 weights: exact, compact and
JSON-able. ``None`` deletes a key. Restoring replays each story's deltas onto its checkpoint.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson

from processors.stories.story import KeptItem, Story, merge_centroid

META_KEY = "meta"
STORY_PREFIX = "s:"
DELTA_PREFIX = "d:"
CHECKPOINT_PREFIX = "c:"
KEPT_PREFIX = "k:"

Changes = dict[str, Any]


def story_key(story_id: str) -> str:
    return STORY_PREFIX + story_id


def delta_key(story_id: str, n: int) -> str:
    return f"{DELTA_PREFIX}{story_id}:{n}"


def checkpoint_key(story_id: str) -> str:
    return CHECKPOINT_PREFIX + story_id


def kept_key(story_id: str, n: int) -> str:
    return f"{KEPT_PREFIX}{story_id}:{n}"


def encode_vector(ids: np.ndarray, weights: np.ndarray, names: Iterable[int]) -> dict[str, Any]:
    return {
        "t": base64.b64encode(ids.astype("<u4").tobytes()).decode(),
        "w": base64.b64encode(weights.astype("<f4").tobytes()).decode(),
        "nm": list(names),
    }


def decode_vector(v: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    ids = np.frombuffer(base64.b64decode(v["t"]), dtype="<u4").astype(np.uint32)
    weights = np.frombuffer(base64.b64decode(v["w"]), dtype="<f4").astype(np.float32)
    return ids, weights, v["nm"]


def checkpoint_value(story: Story) -> dict[str, Any]:
    value = encode_vector(story.term_ids, story.weights, [])
    value["nm"] = [x for kv in sorted(story.names.items()) for x in kv]
    value["n"] = story.n_deltas
    return value


def story_keys(story: Story) -> list[str]:
    """Every key a live story has in the table (to delete it on eviction or merge)."""
    keys = [story_key(story.story_id), checkpoint_key(story.story_id)]
    keys += [delta_key(story.story_id, n) for n in range(story.checkpoint, story.n_deltas)]
    keys += [kept_key(story.story_id, it.n) for it in story.items]
    return keys


def add_names(story: Story, names: Iterable[int], cap: int) -> None:
    """Count the items naming each name; past ``cap`` names the rarest (then highest id) go."""
    counts = story.names
    story.core = None
    for t in names:
        counts[t] = counts.get(t, 0) + 1
    if len(counts) > cap:
        for t in sorted(counts, key=lambda t: (counts[t], -t))[: len(counts) - cap]:
            del counts[t]


def read_table(
    items: Iterable[tuple[Any, Any]], max_terms: int, max_names: int
) -> tuple[dict[str, Any] | None, list[Story]]:
    """The meta value and the stories (centroid, names and kept items replayed) of a table."""
    meta = None
    headers: dict[str, dict] = {}
    checkpoints: dict[str, dict] = {}
    deltas: dict[str, list[tuple[int, dict]]] = {}
    kept: dict[str, list[tuple[int, list]]] = {}
    for raw_key, raw_value in items:
        key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
        value = orjson.loads(raw_value) if isinstance(raw_value, bytes | str) else raw_value
        if value is None:
            continue
        if key == META_KEY:
            meta = value
        elif key.startswith(STORY_PREFIX):
            headers[key[2:]] = value
        elif key.startswith(CHECKPOINT_PREFIX):
            checkpoints[key[2:]] = value
        elif key.startswith(DELTA_PREFIX):
            sid, n = key[2:].rsplit(":", 1)
            deltas.setdefault(sid, []).append((int(n), value))
        elif key.startswith(KEPT_PREFIX):
            sid, n = key[2:].rsplit(":", 1)
            kept.setdefault(sid, []).append((int(n), value))
    stories = []
    for sid, header in headers.items():
        story = Story.from_header(sid, header)
        if sid in checkpoints:
            ids, weights, nm = decode_vector(checkpoints[sid])
            story.names = dict(zip(nm[::2], nm[1::2], strict=True))
            merge_centroid(story, ids, weights, max(len(ids), 1))
        for n, value in sorted(deltas.get(sid, []), key=lambda x: x[0]):
            if n < story.checkpoint or n >= story.n_deltas:
                continue
            ids, weights, nm = decode_vector(value)
            merge_centroid(story, ids, weights, max_terms)
            add_names(story, nm, max_names)
        story.items = [KeptItem.from_value(v, n) for n, v in sorted(kept.get(sid, []),
                                                                     key=lambda x: x[0])]
        stories.append(story)
    stories.sort(key=lambda s: s.seq)
    return meta, stories

