"""``wirestream cluster`` on a small file: one line per good item, bad lines reported."""

from __future__ import annotations

import orjson
import typer
from typer.testing import CliRunner

from tests.unit.stories.docs import QUAKE_1, QUAKE_2


def _app() -> typer.Typer:
    from wirestream.cli import app

    return app


def test_cluster_writes_one_decision_per_item_and_exits_2_on_bad_lines(tmp_path):
    rows = [
        {"id": "q1", "title": QUAKE_1[0], "text": QUAKE_1[1], "published_at": "2026-01-24T08:00:00Z"},
        {"id": "q2", "title": QUAKE_2[0], "text": QUAKE_2[1], "published_at": "2026-01-24T10:00:00+00:00"},
        {"id": "q1-copy", "title": QUAKE_1[0], "text": QUAKE_1[1], "published_at": None},
    ]
    lines = [orjson.dumps(r) for r in rows]
    lines.insert(1, b"{not json")
    lines.append(b'{"id": "x", "title": "t", "text": "b", "published_at": "yesterday"}')
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")

    result = CliRunner().invoke(_app(), ["cluster", "--input", str(src), "--output", str(dst)])

    assert result.exit_code == 2
    assert "line 2: not JSON" in result.stderr
    assert "line 5: bad published_at" in result.stderr
    out = [orjson.loads(x) for x in dst.read_bytes().splitlines()]
    assert [o["id"] for o in out] == ["q1", "q2", "q1-copy"]
    assert [o["relation"] for o in out] == ["new", "update", "duplicate"]
    assert len({o["story_id"] for o in out}) == 1
    assert set(out[1]) == {"id", "story_id", "relation", "score", "evidence"}


def test_cluster_reads_stdin_and_writes_stdout():
    line = orjson.dumps({"id": "q1", "title": QUAKE_1[0], "text": QUAKE_1[1], "published_at": None})
    result = CliRunner().invoke(_app(), ["cluster", "--input", "-", "--output", "-"], input=line)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["relation"] == "new"


def test_cluster_reads_wirestream_parse_records():
    base = {"guid": "", "source": "test", "format": "jsonl", "dateline": None, "places": ["IQUIQUE"],
            "agencies": ["AP"], "language": "en", "updated_at": None,
            "fetched_at": "2026-01-24T12:00:00Z", "url": None, "revision": 0}
    rows = [
        {**base, "item_id": "w1", "headline": QUAKE_1[0], "body": QUAKE_1[1],
         "published_at": "2026-01-24T08:00:00Z", "content_hash": "h1"},
        {**base, "item_id": "w2", "headline": QUAKE_2[0], "body": QUAKE_2[1],
         "published_at": "2026-01-24T10:00:00Z", "content_hash": "h2"},
    ]
    lines = b"\n".join(orjson.dumps(r) for r in rows)
    result = CliRunner().invoke(_app(), ["cluster"], input=lines)
    assert result.exit_code == 0, result.output
    out = [orjson.loads(x) for x in result.stdout.splitlines()]
    assert [o["relation"] for o in out] == ["new", "update"]
    assert out[0]["story_id"] == out[1]["story_id"] and len(out[0]["story_id"]) == 16


def _mixed_lines(n: int) -> bytes:
    """``n`` items of a few events with word changes, copies and a bad line every 97."""
    out = []
    for i in range(n):
        if i % 97 == 50:
            out.append(b'{"id": "bad", "title": 3}')
            continue
        title, text = (QUAKE_1, QUAKE_2)[i % 2]
        words = text.split()
        del words[i % len(words)]
        out.append(orjson.dumps({"id": f"i{i}", "title": f"{title} {i // 7}",
                                 "text": " ".join(words), "lang": "en",
                                 "published_at": f"2026-01-24T{(i // 60) % 24:02d}:{i % 60:02d}:00Z"}))
    return b"\n".join(out) + b"\n"


def test_cluster_gives_the_same_decisions_with_feature_helpers_as_without(tmp_path):
    import subprocess
    import sys

    src = tmp_path / "in.jsonl"
    src.write_bytes(_mixed_lines(1300))  # several chunks of work for the helper processes
    runs = {}
    for jobs in ("0", "2"):
        dst = tmp_path / f"out{jobs}.jsonl"
        proc = subprocess.run([sys.executable, "-m", "wirestream.cli", "cluster", "-i", str(src),
                               "-o", str(dst), "--jobs", jobs], capture_output=True, text=True,
                              timeout=300)
        runs[jobs] = (proc.returncode, proc.stderr, dst.read_bytes())
    assert runs["0"][0] == runs["2"][0] == 2  # bad lines: exit 2
    assert runs["0"][1] == runs["2"][1] and runs["0"][1].count("line ") == 13
    assert runs["0"][2] == runs["2"][2]
    decisions = [orjson.loads(x) for x in runs["2"][2].splitlines()]
    assert len(decisions) == 1300 - 13
    assert {d["relation"] for d in decisions} >= {"new", "update"}


def test_cluster_refuses_a_negative_job_count():
    result = CliRunner().invoke(_app(), ["cluster", "--jobs", "-3"], input=b"")
    assert result.exit_code == 2
    assert "--jobs" in result.stderr
