"""Run ``wirestream cluster`` on a labelled JSON-lines file (each line's ``story_id`` is its gold
story) the way a user does, and compare its final stories with the gold ones pair by pair."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import orjson

from tests.hostile.support import REPO, WIRESTREAM


def cluster_stories(labelled: Path, tmp_path: Path) -> dict[str, str]:
    """Item id -> final story id from the console script (merges followed to the survivor)."""
    out = tmp_path / "out.jsonl"
    run = subprocess.run([str(WIRESTREAM), "cluster", "-j", "0", "-i", str(labelled), "-o", str(out)],
                         capture_output=True, text=True, timeout=120,
                         env=os.environ | {"PYTHONPATH": str(REPO), "WIRESTREAM_ENV_FILE": "/dev/null",
                                           "WIRESTREAM_DATA_DIR": str(tmp_path / "data")})
    assert run.returncode == 0, run.stderr
    final: dict[str, str] = {}
    for d in map(orjson.loads, out.read_bytes().splitlines()):
        final[d["id"]] = d["story_id"]
        for merged in d.get("merged", []):
            final.update({k: d["story_id"] for k, v in final.items() if v == merged})
    return final


def wrong_pairs(labelled: Path, final: dict[str, str]) -> list[tuple[str, str]]:
    """Item pairs grouped differently from the gold stories (empty: every pair right)."""
    gold = {r["id"]: r["story_id"] for r in map(orjson.loads, labelled.read_bytes().splitlines())}
    return [(a, b) for a in gold for b in gold
            if a < b and (final[a] == final[b]) != (gold[a] == gold[b])]
