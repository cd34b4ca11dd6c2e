"""An engine restored from its persisted state decides exactly like one that never stopped."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from processors.stories import EngineConfig, StoryDoc, StoryEngine
from processors.stories.evaluate import load_split
from tests.unit.stories.docs import random_docs

ECB_DEV = Path(__file__).resolve().parents[4] / "shared/data/ecbplus/ecbplus_dev.jsonl"


def _stream(short: bool = False) -> list[StoryDoc]:
    """ECB+ dev with copies and guid revisions mixed in, plus unrelated filler items
    (``short``: lowercased snippets, whose names the engine guesses from the word lists)."""
    if not ECB_DEV.exists():
        pytest.skip("shared/data not present")
    docs = [x.doc for x in load_split(ECB_DEV, short=short)]
    out: list[StoryDoc] = []
    for i, d in enumerate(docs):
        out.append(replace(d, guid=f"g{i}"))
        if i % 7 == 0:
            out.append(replace(d, id=f"{d.id}-copy"))  # duplicate
        if i % 11 == 0:
            out.append(replace(d, id=f"{d.id}-rev", guid=f"g{i}", text=d.text + " Updated."))
    fillers = random_docs(60, seed=3, hours_apart=40)
    return [x for pair in itertools.zip_longest(out, fillers) for x in pair if x is not None]


def _persist(store: dict[str, bytes], changes: dict) -> None:
    for key, value in changes.items():
        if value is None:
            store.pop(key, None)
        else:
            store[key] = orjson.dumps(value)  # what the RocksDB table would hold


def _decision(a) -> tuple:
    return (a.story_id, a.relation, a.score, orjson.dumps(a.evidence), a.story)


@pytest.mark.parametrize(("cfg", "short"), [
    (EngineConfig(), False),
    (EngineConfig(idle_hours=24, min_idle_items=20, sweep_every=8), False),  # evictions
    (EngineConfig(idf_prior_max_terms=1 << 30), False),  # the background prior on every item
    (EngineConfig(), True),  # lowercased snippets: guessed names (``guess_names``)
])
def test_restore_at_any_point_gives_identical_decisions(cfg, short):
    stream = _stream(short)
    reference = StoryEngine(cfg)
    expected = [_decision(reference.assign(d)) for d in stream]
    assert {e[1] for e in expected} == {"new", "update", "duplicate", "revision"}

    for cut in (1, len(stream) // 3, len(stream) // 2, len(stream) - 5):
        engine, store = StoryEngine(cfg), {}
        for d in stream[:cut]:
            _persist(store, engine.assign(d).state_changes)
        restored = StoryEngine.restore(cfg, store.items())
        assert len(restored.stories) == len(engine.stories)
        got = [_decision(restored.assign(d)) for d in stream[cut:]]
        assert got == expected[cut:], f"diverged after restoring at item {cut}"


def test_idle_stories_are_evicted_and_their_keys_deleted():
    cfg = EngineConfig(idle_hours=10, min_idle_items=5, sweep_every=4)
    engine, store, deleted, live = StoryEngine(cfg), {}, 0, []
    for d in random_docs(300, hours_apart=1):
        a = engine.assign(d)
        assert a.relation == "new"
        deleted += sum(v is None for v in a.state_changes.values())
        _persist(store, a.state_changes)
        live.append(engine.live_stories)
    assert deleted > 250
    assert max(live) <= 20  # bounded by the idle window, not by the stream length
    keyed = {k.split(":")[1] for k in store if k != "meta"}
    assert keyed == set(engine.stories)  # no key of an evicted story is left behind
    assert StoryEngine.restore(cfg, store.items()).live_stories == engine.live_stories


def test_out_of_order_time_does_not_evict_recent_stories():
    cfg = EngineConfig(idle_hours=1, min_idle_items=50, sweep_every=4)
    engine = StoryEngine(cfg)
    docs = random_docs(20, hours_apart=1000)  # every item far in the future of the last
    for d in docs:
        engine.assign(d)
    assert engine.live_stories == 20
