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

