"""Ctrl-C on ``produce`` exits 130 after the summary of what was published so far (it was
swallowed: exit 0), and ``--poll`` below one second is refused before anything is fetched."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.cli_run import read_published, run_cli, start_cli
from tests.support.waiting import wait_until

RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>'
       b"<item><guid>p-1</guid><title>Eins</title><description>Erstes Stueck.</description>"
       b"<pubDate>Sat, 24 Jan 2026 16:00:00 +0100</pubDate></item></channel></rss>")


@contextmanager
def feed_server(hang: bool = False) -> Iterator[tuple[str, list[str], threading.Event]]:
    """A loopback RSS feed (the guard allows a URL's own address); ``hang``: it takes the
    request and never answers until the test is done."""
    hits: list[str] = []
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            if hang:
                done.wait(30)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(RSS)))
            self.end_headers()
            self.wfile.write(RSS)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed.rss", hits, done
    finally:
        done.set()
        server.shutdown()
        server.server_close()


def interrupt(proc) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err.decode()


def test_ctrl_c_while_polling_exits_130_after_the_summary(tmp_path):
    out = tmp_path / "published.jsonl"
    with feed_server() as (url, hits, _):
        proc = start_cli(["produce", "--poll", "2", url], data_dir=tmp_path / "data", published=out)
        try:
            wait_until(lambda: hits and read_published(out), 30, "the first poll to be published")
            code, err = interrupt(proc)
        finally:
            proc.kill()
    assert code == 130, err
    assert "published 1, unchanged 0, failed 0, dead-lettered 0 (interrupted)" in err
    assert "Traceback" not in err


def test_ctrl_c_during_a_hung_fetch_exits_130(tmp_path):
    with feed_server(hang=True) as (url, hits, _):
        proc = start_cli(["produce", url], data_dir=tmp_path / "data",
                         published=tmp_path / "published.jsonl")
        try:
            wait_until(lambda: hits, 30, "the fetch to reach the server")
            code, err = interrupt(proc)
        finally:
            proc.kill()
    assert code == 130, err
    assert "published 0, unchanged 0, failed 0, dead-lettered 0 (interrupted)" in err


@pytest.mark.parametrize("poll", ["-1", "0", "0.5", "nan"])
def test_poll_below_one_second_is_refused_up_front(tmp_path, poll):
    with feed_server() as (url, hits, _):
        run = run_cli(["produce", "--poll", poll, url], data_dir=tmp_path / "data",
                      published=tmp_path / "published.jsonl", timeout=30)
    assert run.returncode == 2
    assert run.stderr.decode().strip().splitlines() == [
        f"error: --poll: {float(poll):g} s; poll URLs at least 1 s apart"]
    assert hits == []


@pytest.mark.parametrize("rate", ["0", "-5", "nan", "inf"])
def test_a_replay_rate_must_be_a_positive_number(tmp_path, rate):
    feed = tmp_path / "f.jsonl"
    feed.write_text('{"guid": "a", "headline": "A headline", "body": "Text."}\n')
    run = run_cli(["produce", "--rate", rate, str(feed)], data_dir=tmp_path / "data",
                  published=tmp_path / "published.jsonl", timeout=30)
    assert run.returncode == 2
    assert run.stderr.decode().strip().splitlines() == [
        f"error: --rate: {float(rate):g}; replay at a positive number of items per second"]
    assert not (tmp_path / "published.jsonl").exists() or not (tmp_path / "published.jsonl").read_text()
