"""``up`` refuses only a source that yields no wire item at all. A directory with one empty
file, or a JSON-lines file with one line over ``max_item_bytes``, still has good items: they
are stored, the bad part is a dead letter (exit 2), and ``up`` starts as usual."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytestmark = pytest.mark.integration
FETCHED = "2026-01-24T18:00:00+00:00"


def line(guid: str, headline: str) -> bytes:
    return orjson.dumps({"guid": guid, "headline": headline, "body": "Tekst.",
                         "published_at": "2026-01-24T10:00:00Z"}) + b"\n"


def up(source: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wirestream.cli", "up", str(source), "--json",
                           "--fetched-at", FETCHED], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ) | env)


def headlines(proc: subprocess.CompletedProcess) -> list[str]:
    stories = [orjson.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    return sorted(i["headline"] for s in stories for i in s["items"])


def test_a_directory_with_an_empty_file_and_a_file_with_an_oversize_line(ws_env, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a-empty.txt").write_bytes(b"")
    (src / "b.jsonl").write_bytes(line("g1", "Eerste kop") + b'{"guid": "big", "headline": "'
                                  + b"x" * (1 << 20) + b'"}\n' + line("g2", "Tweede kop"))
    proc = up(src, ws_env)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert headlines(proc) == ["Eerste kop", "Tweede kop"]
    said = " ".join(proc.stderr.split())  # rich wraps lines at the terminal width
    assert "a-empty.txt: dead letter: empty document" in said
    assert "exceeds max_item_bytes" in said
    assert "2 dead letter(s) to" in said, said


def test_a_source_with_no_item_at_all_is_still_refused(ws_env, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a-empty.txt").write_bytes(b"")
    (src / "b.jsonl").write_bytes(b'{"guid": "big", "headline": "' + b"x" * (1 << 20) + b'"}\n')
    proc = up(src, ws_env)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.strip() == f"error: {src / 'a-empty.txt'} is empty: nothing to publish"
