"""``evaluate`` and ``wirestream eval`` report the worst order next to the mean."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence

import orjson
import pytest
from typer.testing import CliRunner

from processors.stories.evaluate import LabelledDoc, evaluate
from processors.stories.metrics import bcubed
from processors.stories.model import StoryDoc
from tests.unit.stories.docs import QUAKE_1, QUAKE_2

GOLD = ["a", "a", "a", "b", "b", "b"]
DATA = [LabelledDoc(StoryDoc(id=f"d{i}", title="t", text="x", published_at=None), g)
        for i, g in enumerate(GOLD)]


def first_alone(docs: Sequence[StoryDoc]) -> tuple[list[str], list[tuple[str, str]]]:
    """An order-sensitive clusterer: the first item on its own, all others together."""
    return ["first"] + ["rest"] * (len(docs) - 1), []


def test_worst_f1_is_the_minimum_over_orders_and_mean_is_their_mean():
    seeds = [0, 1, 2, 3]
    per_order = []
    for seed in seeds:
        order = list(DATA)
        random.Random(seed).shuffle(order)
        pred, _ = first_alone([x.doc for x in order])
        per_order.append(bcubed([x.gold for x in order], pred).f1)
    got = evaluate(DATA, first_alone, seeds)
    assert got.worst_f1 == pytest.approx(min(per_order))
    assert got.bcubed_f1 == pytest.approx(statistics.fmean(per_order))
    assert got.worst_f1 <= got.bcubed_f1


def test_eval_command_prints_a_worst_order_column(tmp_path):
    from wirestream.cli import app

    rows = [
        {"id": "q1", "title": QUAKE_1[0], "text": QUAKE_1[1], "published_at": None, "story_id": "q"},
        {"id": "q2", "title": QUAKE_2[0], "text": QUAKE_2[1], "published_at": None, "story_id": "q"},
    ]
    (tmp_path / "ecbplus_tiny.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    result = CliRunner().invoke(app, ["eval", "--data-dir", str(tmp_path), "--splits", "tiny",
                                      "--seeds", "0,1"])
    assert result.exit_code == 0, result.output
    assert "worst F1" in result.stdout
    engine_row = next(line for line in result.stdout.splitlines() if "engine" in line)
    assert "1.000" in engine_row  # two reports of one quake: one story in every order


@pytest.mark.parametrize(("content", "args", "message"), [
    (b"", ["--splits", "tiny"], "no labelled documents"),
    (b'{"id": "q1", "title": "t", "text": "x", "story_id": "q"}\ngarbage\n', ["--splits", "tiny"],
     "line 2: not a labelled document"),
    (b'{"id": "q1", "title": "t", "text": "x"}\n', ["--splits", "tiny"], "missing 'story_id'"),
    (b'{"id": "q1", "title": "t", "text": "x", "story_id": "q"}\n', ["--splits", "tiny", "--seeds", ""],
     "at least one value"),
    (b'{"id": "q1", "title": "t", "text": "x", "story_id": "q"}\n', ["--splits", ""], "at least one value"),
])
def test_eval_refuses_what_it_cannot_score(tmp_path, content, args, message):
    """An empty or broken split, no seeds, no splits: one line and exit 2, never a traceback
    or a table of perfect scores over nothing."""
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "ecbplus_tiny.jsonl").write_bytes(content)
    exe = Path(sys.executable).parent / "wirestream"
    proc = subprocess.run([str(exe), "eval", "--data-dir", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert "B3 F1" not in proc.stdout
