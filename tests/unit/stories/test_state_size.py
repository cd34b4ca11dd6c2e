"""State written per item stays small: deltas, not whole stories (issue 14.1)."""

from __future__ import annotations

import statistics
from pathlib import Path

import orjson
import pytest

from processors.stories import StoryEngine
from processors.stories.evaluate import load_split

ECB_TRAIN = Path(__file__).resolve().parents[4] / "shared/data/ecbplus/ecbplus_train.jsonl"


def test_average_state_bytes_per_item_is_under_2kb():
    if not ECB_TRAIN.exists():
        pytest.skip("shared/data not present")
    docs = [x.doc for x in load_split(ECB_TRAIN)][:400]
    for d in docs:  # wire-sized: the headline and the first three sentences
        d.text = "\n".join(d.text.split("\n")[:3])
    engine = StoryEngine()
    sizes = [sum(len(orjson.dumps(v)) for v in engine.assign(d).state_changes.values())
             for d in docs]
    assert statistics.fmean(sizes) <= 2048, statistics.fmean(sizes)


def test_short_items_write_well_under_1kb():
    if not ECB_TRAIN.exists():
        pytest.skip("shared/data not present")
    docs = [x.doc for x in load_split(ECB_TRAIN, short=True)][:400]
    engine = StoryEngine()
    sizes = [sum(len(orjson.dumps(v)) for v in engine.assign(d).state_changes.values())
             for d in docs]
    assert statistics.fmean(sizes) <= 1024, statistics.fmean(sizes)
