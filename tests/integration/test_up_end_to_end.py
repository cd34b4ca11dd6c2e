"""End to end through the real broker, the faust worker, the sink and chdb: the README's
first command on the shared sample page, run twice on the same data directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.support.paths import SAMPLE_PAGE

pytestmark = pytest.mark.integration
FETCHED = "2026-01-24T18:00:00+01:00"


def wirestream(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wirestream.cli", *args], capture_output=True, text=True,
        timeout=timeout, env=dict(os.environ),
    )


def stories_from(proc: subprocess.CompletedProcess) -> list[dict]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [orjson.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def count_items(data_dir: Path) -> tuple[int, int]:
    from wirecore.clickhouse import open_client

    client = open_client(f"chdb://{(data_dir / 'chdb').resolve()}")
    plain = client.query("SELECT count() FROM wirestream.items").result_rows[0][0]
    final = client.query("SELECT count() FROM wirestream.items FINAL").result_rows[0][0]
    client.close()
    return plain, final


def check_sample_stories(stories: list[dict]) -> None:
    sizes = sorted(s["item_count"] for s in stories)
    assert sizes == [1, 1, 1, 5], stories
    big = next(s for s in stories if s["item_count"] == 5)
    times = [datetime.fromisoformat(i["published_at"].replace("Z", "+00:00")) for i in big["items"]]
    assert times == sorted(times)
    fetched = datetime.fromisoformat(FETCHED)
    ages = [fetched - t for t in times]
    expected = [timedelta(hours=5), timedelta(hours=4), timedelta(hours=1),
                timedelta(minutes=58), timedelta(minutes=14)]
    assert ages == expected
    assert "neergeschoten" in big["items"][0]["headline"]
    assert "Walz" in big["items"][-1]["headline"] or "gouverneur" in big["items"][-1]["headline"]
    singles = " ".join(s["headline"] for s in stories if s["item_count"] == 1)
    for word in ("Poetin", "Britse", "Abu Dhabi"):
        assert word in singles


def test_up_twice_on_the_sample_page(ws_env):
    data_dir = Path(ws_env["WIRESTREAM_DATA_DIR"])
    first = stories_from(wirestream("up", str(SAMPLE_PAGE), "--fetched-at", FETCHED, "--json"))
    check_sample_stories(first)
    assert count_items(data_dir) == (8, 8)

    again = stories_from(wirestream("up", str(SAMPLE_PAGE), "--fetched-at", FETCHED, "--json"))
    check_sample_stories(again)
    assert {s["story_id"] for s in again} == {s["story_id"] for s in first}
    assert count_items(data_dir) == (8, 8)

    # the query command reads the same (the pipeline is stopped, so it opens chdb directly)
    queried = stories_from(wirestream("query", "stories", "--json"))
    assert {s["story_id"] for s in queried} == {s["story_id"] for s in first}
    sql = wirestream("sql", "SELECT count() AS n FROM wirestream.stories_latest", "--json")
    assert sql.returncode == 0 and orjson.loads(sql.stdout) == {"n": 4}
    assert not list(data_dir.glob("chdb.owner.json")), "owner file left behind"


@pytest.mark.parametrize("case", ["empty", "binary", "unwritable", "no-broker"])
def test_bad_input_gives_one_clear_line(ws_env, tmp_path, case, monkeypatch):
    args = ["up"]
    if case == "empty":
        p = tmp_path / "empty.txt"
        p.write_text("")
        args.append(str(p))
    elif case == "binary":
        p = tmp_path / "blob.bin"
        p.write_bytes(bytes(range(256)) * 40)
        args.append(str(p))
    elif case == "unwritable":
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        monkeypatch.setenv("WIRESTREAM_DATA_DIR", str(ro / "data"))
        if os.geteuid() == 0:  # root ignores mode bits: use a path under a regular file instead
            blocker = tmp_path / "file"
            blocker.write_text("x")
            monkeypatch.setenv("WIRESTREAM_DATA_DIR", str(blocker / "data"))
        args.append(str(SAMPLE_PAGE))
    else:
        monkeypatch.setenv("WIRESTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:1")
        args.append(str(SAMPLE_PAGE))
    started = time.monotonic()
    proc = wirestream(*args, timeout=120)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    if case == "no-broker":  # said in words, and after the 10 s a broker gets to answer (was 30 s)
        assert "127.0.0.1:1 unreachable" in lines[-1] and "KafkaError{" not in lines[-1], lines[-1]
        assert time.monotonic() - started < 25
    if case in ("empty", "binary", "unwritable"):
        data = Path(os.environ["WIRESTREAM_DATA_DIR"])
        assert not (data / "chdb").exists(), "nothing may be half-written"


def test_up_counts_the_dead_letters_of_every_stage(ws_env, tmp_path):
    """An item the *parse stage* refuses (dated far in the future) is dead-lettered after `up`
    has published it: `up` still says so and exits 2, as `parse` and `produce` do; the good
    items are stories."""
    feed = tmp_path / "feed.jsonl"
    rows = [{"guid": "g1", "headline": "Flooding closes roads in Utrecht",
             "body": "Heavy rain flooded several roads in Utrecht on Monday.",
             "published_at": "2026-01-05T09:00:00Z"},
            {"guid": "g2", "headline": "Utrecht floods: roads reopen",
             "body": "Roads in Utrecht reopened on Tuesday after the flooding.",
             "published_at": "2026-01-06T09:00:00Z"},
            {"guid": "g3", "headline": "From the future", "body": "This item is dated years ahead.",
             "published_at": "2031-01-01T00:00:00Z"}]
    feed.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    proc = wirestream("up", str(feed), "--fetched-at", "2026-01-06T10:00:00Z", "--json")
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "0 dead letter(s)" in proc.stderr  # none at publishing time...
    assert "1 item(s) of this run are dead letters" in proc.stderr  # ...one from the parse stage
    stories = [orjson.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert sum(len(s["items"]) for s in stories) == 2
