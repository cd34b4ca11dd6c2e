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



def _many_lines(n: int) -> list[bytes]:
    """``n`` lines of two alternating events with varied words, a bad line every 97th and a
    blank line every 89th, so chunks end in every kind of line."""
    lines = []
    for i in range(n):
        if i % 97 == 50:
            lines.append(b"{broken")
            continue
        if i % 89 == 7:
            lines.append(b"")
            continue
        title, text = (QUAKE_1, QUAKE_2)[i % 2]
        words = text.split()
        del words[i % len(words)]
        lines.append(orjson.dumps({"id": f"i{i}", "title": f"{title} {i // 40}", "text": " ".join(words),
                                   "published_at": f"2026-01-24T{i % 24:02d}:00:00Z"}))
    return lines


def test_helper_processes_give_the_same_decisions_and_errors():
    """Lines prepared in a helper process (``--jobs``) are decided exactly as in one process,
    errors reported with the same line numbers, whatever the chunk size."""
    import io

    from wirestream.cmd_cluster import cluster_lines

    lines = _many_lines(300)
    runs = []
    for helpers, chunk in ((0, 1000), (0, 7), (1, 7), (2, 64)):
        out, err = io.BytesIO(), io.StringIO()
        bad = cluster_lines(iter(lines), out, err, chunk=chunk, helpers=helpers)
        runs.append((bad, out.getvalue(), err.getvalue()))
    assert runs[0][0] == 3 and "line 51: not JSON" in runs[0][2]
    assert len(runs[0][1].splitlines()) == 300 - 3 - 4
    assert {orjson.loads(x)["relation"] for x in runs[0][1].splitlines()} >= {"new", "update"}
    assert all(r == runs[0] for r in runs[1:])


def test_cluster_command_with_a_helper_process(tmp_path):
    """The console script as a user runs it on a file larger than one chunk, with ``--jobs 1``
    and ``--jobs 0``: the same output, exit 2 for the bad lines."""
    import subprocess
    import sys
    from pathlib import Path

    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(_many_lines(600)) + b"\n")
    exe = Path(sys.executable).parent / "wirestream"
    outs = []
    for jobs in ("1", "0"):
        dst = tmp_path / f"out{jobs}.jsonl"
        proc = subprocess.run([str(exe), "cluster", "-i", str(src), "-o", str(dst), "--jobs", jobs],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("not JSON") == 6
        outs.append(dst.read_bytes())
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 600 - 6 - 7


def test_a_dead_helper_process_loses_no_line():
    """A helper killed mid-run (OOM killer, an operator): the chunks it held and the rest are
    prepared in the command's own process; the output is the one a run without helpers gives."""
    import io
    import multiprocessing

    from wirestream.cmd_cluster import cluster_lines

    lines = _many_lines(700)

    def killing(lines_):
        for n, line in enumerate(lines_):
            if n == 400:  # the pool is running by now (it starts after the first chunk)
                helpers = multiprocessing.active_children()
                assert helpers, "no helper process to kill"
                for proc in helpers:
                    proc.kill()
                    proc.join(10)
            yield line

    expected, got = (io.BytesIO(), io.StringIO()), (io.BytesIO(), io.StringIO())
    bad_expected = cluster_lines(iter(lines), *expected, chunk=64, helpers=0)
    bad_got = cluster_lines(killing(lines), *got, chunk=64, helpers=1)
    assert bad_got == bad_expected == 7
    assert got[0].getvalue() == expected[0].getvalue()
    assert got[1].getvalue() == expected[1].getvalue()


def test_sigterm_ends_the_command_and_its_helpers(tmp_path):
    """A supervisor's SIGTERM to the command alone: exit 143 and no helper left behind."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(_many_lines(300)) * 40 + b"\n")  # long enough to be mid-run
    exe = Path(sys.executable).parent / "wirestream"
    proc = subprocess.Popen([str(exe), "cluster", "-i", str(src), "-o", str(tmp_path / "out"), "--jobs", "1"],
                            stderr=subprocess.PIPE, text=True)

    def helpers() -> list[int]:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        return [int(p) for p in kids.read_text().split()] if kids.exists() else []

    deadline = time.monotonic() + 60
    while not helpers() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    started = helpers()
    assert started, "no helper process started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 143
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in started):
        time.sleep(0.1)
    left = [p for p in started if os.path.exists(f"/proc/{p}")
            and "Z" not in Path(f"/proc/{p}/stat").read_text().split(")")[1].split()[0]]
    assert not left, f"helpers still running: {left}"


def test_cluster_on_a_live_pipe_writes_each_decision_before_the_input_ends():
    """``tail -f feed.jsonl | wirestream cluster``: a decision is written once its line has
    arrived, while the input is still open (it used to wait for 256 lines), with the helper
    process running too (the lines it prepares are handed on before the next read)."""
    import os
    import select
    import subprocess
    import sys
    import threading
    from pathlib import Path

    lines = _many_lines(400)
    good = [x for x in lines if x.startswith(b'{"')]
    exe = Path(sys.executable).parent / "wirestream"
    proc = subprocess.Popen([str(exe), "cluster", "--jobs", "1"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    fd, pending = proc.stdout.fileno(), bytearray()

    def read_lines(n: int, timeout_s: float = 60.0) -> list[bytes]:
        """Exactly n output lines, read from the pipe's descriptor with our own buffer (a
        BufferedReader's readline may pull later lines into a buffer ``select`` cannot see)."""
        out: list[bytes] = []
        while len(out) < n:
            if b"\n" in pending:
                end = pending.index(b"\n") + 1
                out.append(bytes(pending[:end]))
                del pending[:end]
                continue
            ready, _, _ = select.select([fd], [], [], timeout_s)
            assert ready, f"no decision within {timeout_s}s after {len(out)} of {n}"
            pending.extend(os.read(fd, 1 << 16))
        return out

    def write(data: bytes) -> threading.Thread:
        """Write in a thread: the command's output fills its pipe while we are still writing."""
        t = threading.Thread(target=lambda: (proc.stdin.write(data), proc.stdin.flush()))
        t.start()
        return t

    try:
        proc.stdin.write(good[0] + b"\n" + good[1] + b"\n")
        proc.stdin.flush()
        first = read_lines(2)  # the input is still open
        assert [orjson.loads(x)["id"] for x in first] == [orjson.loads(good[0])["id"], orjson.loads(good[1])["id"]]
        writer = write(b"\n".join(good[2:300]) + b"\n")  # the pool starts with these
        middle = read_lines(298)
        writer.join(60)
        proc.stdin.write(good[300] + b"\n")
        proc.stdin.flush()
        last = read_lines(1)  # prepared by the helper, handed on without waiting for more
        assert orjson.loads(middle[-1])["id"] == orjson.loads(good[299])["id"]
        assert orjson.loads(last[0])["id"] == orjson.loads(good[300])["id"]
        proc.stdin.close()
        assert proc.wait(60) == 0, proc.stderr.read()
        assert not pending and proc.stdout.read() == b""
    finally:
        proc.kill()
        proc.wait()


def test_cluster_refuses_to_write_over_its_input(tmp_path):
    """``-o`` naming the input (or a link to it) used to truncate the input and exit 0."""
    import subprocess
    import sys
    from pathlib import Path

    src = tmp_path / "in.jsonl"
    content = b"\n".join(_many_lines(20)) + b"\n"
    src.write_bytes(content)
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    exe = Path(sys.executable).parent / "wirestream"
    for out in (src, link):
        proc = subprocess.run([str(exe), "cluster", "-i", str(src), "-o", str(out)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert "is the input file itself" in proc.stderr
        assert src.read_bytes() == content


def test_an_overlong_line_is_a_bad_line_and_its_neighbours_go_on(tmp_path):
    """A line over WIRESTREAM_MAX_ITEM_BYTES is reported by number, exit 2, without holding
    it whole in memory; the lines around it are decided. A boolean id is no id."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    good = [x for x in _many_lines(6) if x.startswith(b'{"')]
    huge = orjson.dumps({"id": "huge", "title": "t", "text": "word " * 100_000})  # ~500 kB
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join([good[0], huge, good[1], b'{"id": true, "title": "x", "text": "y"}',
                                good[2]]) + b"\n")
    exe = Path(sys.executable).parent / "wirestream"
    proc = subprocess.run([str(exe), "cluster", "-i", str(src), "--jobs", "0"], capture_output=True,
                          text=True, timeout=60, env=os.environ | {"WIRESTREAM_MAX_ITEM_BYTES": "65536"})
    assert proc.returncode == 2, proc.stderr
    assert "line 2: longer than 65536 bytes" in proc.stderr
    assert "line 4: missing id" in proc.stderr
    ids = [orjson.loads(x)["id"] for x in proc.stdout.splitlines()]
    assert ids == [orjson.loads(g)["id"] for g in good[:3]]
