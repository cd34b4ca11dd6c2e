"""Hostile inputs through the real console script (a subprocess, as users run it): exit
codes, peak memory while streaming huge inputs, and the URL source against real local HTTP
servers — a redirect to an "internal service" on 127.0.0.2, the metadata address, a
``file://`` URL, a slow-drip server and a gzip bomb.

Memory: peak RSS of the command minus the peak of the same command on a tiny input must stay
within 3 × max_item_bytes + max_document_bytes (defaults 1 MiB and 16 MiB)."""

from __future__ import annotations

import contextlib
import re
import time

import pytest

from producers.limits import ProducerLimits
from tests.hostile.support import MIB, LocalServer, gzip_members, route, run_wirestream, send

BOUND_MIB = 3 * 1 + 16
RSS_FEED = (b'<?xml version="1.0"?><rss><channel><item><guid>n</guid><title>Newer</title>'
            b"<pubDate>Sat, 24 Jan 2026 10:00:00 +0000</pubDate></item><item><guid>o</guid><title>Older</title>"
            b"<pubDate>Sat, 24 Jan 2026 09:00:00 +0000</pubDate></item></channel></rss>")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> float:
    """Peak RSS of ``wirestream parse`` on a tiny file: the idle process."""
    tmp = tmp_path_factory.mktemp("baseline")
    (tmp / "tiny.jsonl").write_bytes(b'{"guid": "1", "headline": "Een"}\n')
    run = run_wirestream("parse", "tiny.jsonl", tmp=tmp)
    assert run.code == 0, run.stderr
    return run.peak_rss_mib


def test_exit_codes_of_parse(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "one-bad.jsonl").write_bytes(
        b'{"guid": "1", "headline": "Een"}\n{"guid": \n{"guid": "3", "headline": "Drie"}\n')
    nul_item = b"<item><guid>z</guid><title>N\0L</title></item></channel>"
    (tmp_path / "nul.rss").write_bytes(RSS_FEED.replace(b"</channel>", nul_item))
    empty = run_wirestream("parse", "empty.txt", tmp=tmp_path)
    assert empty.code == 2 and empty.records == [] and "empty document" in empty.stderr
    jsonl = run_wirestream("parse", "one-bad.jsonl", tmp=tmp_path)
    assert jsonl.code == 2 and [r["guid"] for r in jsonl.records] == ["1", "3"]
    assert "line 2: malformed JSON" in jsonl.stderr and "parsed 2 item(s), 1 dead letter(s)" in jsonl.stderr
    nul = run_wirestream("parse", "nul.rss", tmp=tmp_path)
    assert nul.code == 2 and [r["guid"] for r in nul.records] == ["o", "n"]  # oldest first
    assert "parsed 2 item(s), 1 dead letter(s)" in nul.stderr and "Char 0x0" in nul.stderr
    assert "Traceback" not in empty.stderr + jsonl.stderr + nul.stderr


def test_an_empty_json_lines_file_is_an_empty_document_too(tmp_path):
    """A zero-byte ``.jsonl`` (or empty stdin with ``--format jsonl``) used to print nothing and
    exit 0, and ``up`` started the whole pipeline for it; any other empty file exits 2."""
    (tmp_path / "empty.jsonl").write_bytes(b"")
    for args, stdin in ((("parse", "empty.jsonl"), None), (("parse", "--format", "jsonl", "-"), b"")):
        run = run_wirestream(*args, tmp=tmp_path, stdin=stdin)
        assert run.code == 2 and run.records == [], run.stderr
        assert "empty document" in run.stderr and "parsed 0 item(s), 1 dead letter(s)" in run.stderr
    up = run_wirestream("up", "empty.jsonl", tmp=tmp_path)  # refused before anything starts
    assert up.code == 2 and "empty.jsonl is empty: nothing to publish" in up.stderr, up.stderr


@pytest.mark.parametrize("command", ["produce", "worker"])
def test_unusable_data_dir_is_one_error_line(tmp_path, command):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a data dir under a regular file: unusable even for root
    (tmp_path / "feed.rss").write_bytes(RSS_FEED)
    args = [command, "feed.rss"] if command == "produce" else [command]
    run = run_wirestream(*args, tmp=tmp_path, env={"WIRESTREAM_DATA_DIR": str(blocker / "data"),
                                                   "WIRESTREAM_KAFKA_BOOTSTRAP": "127.0.0.1:9"})
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert run.code == 2 and len(lines) == 1 and lines[0].startswith("error: data directory"), run.stderr


def test_50_mb_json_line_is_a_truncated_dead_letter_in_bounded_memory(tmp_path, baseline):
    with (tmp_path / "huge.jsonl").open("wb") as f:
        f.write(b'{"guid": "1", "headline": "Een"}\n{"guid": "2", "headline": "')
        for _ in range(50):
            f.write(b"x" * MIB)
        f.write(b'"}\n{"guid": "3", "headline": "Drie"}\n')
    run = run_wirestream("parse", "huge.jsonl", tmp=tmp_path)
    assert run.code == 2 and [r["guid"] for r in run.records] == ["1", "3"]
    (letter,) = run.dead_letters
    size = int(re.search(r"line 2: item of (\d+) bytes exceeds max_item_bytes=1048576", letter).group(1))
    assert size > 50 * MIB and "truncated to its first 1048576" in letter
    assert run.peak_rss_mib - baseline < BOUND_MIB, (run.peak_rss_mib, baseline)


def test_50_mb_single_line_page_is_refused_in_bounded_memory(tmp_path, baseline):
    with (tmp_path / "huge.txt").open("wb") as f:
        for _ in range(50):
            f.write(b"word " * (MIB // 5))
    run = run_wirestream("parse", "huge.txt", tmp=tmp_path)
    assert run.code == 2 and run.records == []
    assert "exceeds max_document_bytes" in run.stderr
    assert run.peak_rss_mib - baseline < BOUND_MIB, (run.peak_rss_mib, baseline)


@pytest.fixture
def feed_server():
    servers: list[LocalServer] = []

    def start(handle, host: str = "127.0.0.1") -> LocalServer:
        servers.append(LocalServer(host, handle))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def test_gzip_bomb_is_refused_in_bounded_memory(tmp_path, baseline, feed_server):
    bomb = gzip_members(1024 * MIB)
    assert len(bomb) < 1.2 * MIB
    server = feed_server(lambda h: send(h, 200, bomb, Content_Type="application/rss+xml",
                                        Content_Encoding="gzip"))
    run = run_wirestream("parse", f"{server.url}/feed.rss", tmp=tmp_path)
    assert run.code == 2 and run.records == []
    assert "(after decompression) exceeds max_document_bytes" in run.stderr
    assert run.peak_rss_mib - baseline < BOUND_MIB, (run.peak_rss_mib, baseline)


def test_redirect_to_an_internal_address_is_refused(feed_server):
    internal = feed_server(lambda h: send(h, 200, RSS_FEED), host="127.0.0.2")
    public = feed_server(lambda h: send(h, 302, Location=f"{internal.url}/secret.rss"))
    records, dead = route(f"{public.url}/feed.rss")
    assert records == [] and internal.hits == [] and public.hits == ["/feed.rss"]
    assert "refused to connect to non-public address 127.0.0.2" in dead[0]
    records, dead = route(f"{public.url}/feed.rss", limits=ProducerLimits(allow_private=("127.0.0.2/32",)))
    assert len(records) == 2 and dead == [] and internal.hits == ["/secret.rss"]


@pytest.mark.parametrize(("target", "why"), [
    ("http://169.254.169.254/latest/meta-data/", "non-public address 169.254.169.254"),
    ("http://[::ffff:127.0.0.3]/x", "non-public address 127.0.0.3"),
    ("http://10.0.0.1/", "non-public address 10.0.0.1"),
    ("file:///etc/passwd", "only http(s) URLs are fetched, not 'file'"),
    ("gopher://127.0.0.1:70/", "only http(s) URLs are fetched, not 'gopher'"),
])
def test_redirect_to_metadata_private_or_other_schemes_is_refused(feed_server, target, why):
    server = feed_server(lambda h: send(h, 301, Location=target))
    records, dead = route(f"{server.url}/feed.rss")
    assert records == [] and len(dead) == 1 and why in dead[0], dead


def test_a_source_on_loopback_may_redirect_to_itself(feed_server):
    def handle(h):
        if h.path == "/feed":
            send(h, 302, Location="/feed.rss")
        else:
            send(h, 200, RSS_FEED, Content_Type="application/rss+xml")

    server = feed_server(handle)
    records, dead = route(f"{server.url}/feed")
    assert dead == [] and [r["guid"] for r in records] == ["o", "n"]


def test_slow_drip_server_is_cut_at_the_total_deadline(feed_server):
    def drip(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.end_headers()
        for byte in RSS_FEED * 10:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.5)  # far under any per-read timeout: only a total deadline stops this

    server = feed_server(drip)
    start = time.monotonic()
    records, dead = route(f"{server.url}/feed.rss", limits=ProducerLimits(fetch_deadline_s=2))
    assert records == [] and "no complete response within the fetch deadline of 2 s" in dead[0]
    assert time.monotonic() - start < 2 + 1


def test_a_server_dripping_its_headers_is_cut_at_the_total_deadline(tmp_path, feed_server):
    """Each header byte comes well within the read timeout, so only the total deadline stops it:
    before the fix `wirestream parse` waited here for ever (the deadline was checked per body chunk)."""
    def drip_headers(h):
        h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        with contextlib.suppress(OSError):  # the fetcher hangs up at its deadline
            for _ in range(120):
                h.wfile.write(b"a")
                h.wfile.flush()
                time.sleep(0.1)
        h.close_connection = True

    server = feed_server(drip_headers)
    run = run_wirestream("parse", f"{server.url}/feed.rss", tmp=tmp_path,
                         env={"WIRESTREAM_FETCH_DEADLINE_S": "1.5"}, timeout=30)
    assert run.code == 2 and run.records == [], run
    assert f"cannot fetch {server.url}/feed.rss: no complete response within the fetch deadline of 1.5 s" \
        in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert run.seconds < 1.5 + 5, run.seconds  # the server would drip for 12 s


def test_poll_backs_off_after_a_deadline(feed_server):
    """The deadline is a FetchError like any other: the poller's shared backoff takes over."""
    from producers.sources.http import UrlSource
    from producers.sources.reading import http_client
    from wirecore.retry import Backoff, RetryPolicy

    def stall(h):
        h.send_response(200)
        h.end_headers()
        for _ in range(25):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.2)

    server = feed_server(stall)
    sleeps, errors = [], []
    src = UrlSource(f"{server.url}/f", http_client(), limits=ProducerLimits(fetch_deadline_s=0.5))
    docs = list(src.poll(60, backoff=Backoff(RetryPolicy(initial=2, cap=10, jitter=0)),
                         sleep=sleeps.append, on_error=errors.append, max_polls=2))
    assert docs == [] and sleeps == [2, 4] and "fetch deadline" in errors[0]


def rss_archive(path, n: int, *, oversize_at: int | None = None, truncated: bool = False) -> None:
    """An RSS archive of ``n`` items, newest first; one item of 3 MB at ``oversize_at``; a
    last item cut off mid-tag when ``truncated``."""
    with path.open("wb") as f:
        f.write(b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
                b'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Archief</title>'
                b"<language>nl</language>\n")
        for i in range(n):
            pad = b"<dc:subject>" + b"x" * (3 * MIB) + b"</dc:subject>" if i == oversize_at else b""
            f.write(b'<item><guid isPermaLink="false">urn:a:%d</guid><title>Bericht %d over de haven'
                    b"</title><dc:creator>Redactie</dc:creator><pubDate>%s</pubDate><description>"
                    b"<![CDATA[<p>Tekst van bericht %d.</p>]]></description>%s</item>\n"
                    % (i, i, time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                                           time.gmtime(1769277600 - 60 * i)).encode(), i, pad))
        f.write(b"<item><guid>urn:a:cut</guid><title>Half" if truncated else b"</channel></rss>\n")


def test_big_rss_archive_is_streamed_as_runs_of_items_in_bounded_memory(tmp_path, baseline):
    """Past WIRESTREAM_MAX_DOCUMENT_BYTES an RSS archive is cut into runs of whole items:
    every item once, the same records as the whole-document split, memory bounded."""
    rss_archive(tmp_path / "archive.rss", 30_000)
    assert (tmp_path / "archive.rss").stat().st_size > 7 * MIB
    limit = {"WIRESTREAM_MAX_DOCUMENT_BYTES": str(2 * MIB)}
    at = ("--fetched-at", "2026-01-24T18:00:00Z")
    streamed = run_wirestream("parse", "archive.rss", *at, tmp=tmp_path, env=limit, timeout=300)
    assert streamed.code == 0, streamed.stderr[-2000:]
    assert "parsed 30000 item(s), 0 dead letter(s)" in streamed.stderr
    whole = run_wirestream("parse", "archive.rss", *at, tmp=tmp_path,
                           env={"WIRESTREAM_MAX_DOCUMENT_BYTES": str(64 * MIB)}, timeout=300)
    assert whole.code == 0, whole.stderr[-2000:]
    by_id = {r["item_id"]: r for r in streamed.records}
    assert by_id == {r["item_id"]: r for r in whole.records} and len(by_id) == 30_000
    assert streamed.peak_rss_mib - baseline < 3 * 1 + 2 + 8, (streamed.peak_rss_mib, baseline)
    assert whole.peak_rss_mib > streamed.peak_rss_mib + 40  # the whole document, parsed at once


def test_big_rss_archive_with_an_oversize_item_and_a_truncated_end(tmp_path, baseline):
    rss_archive(tmp_path / "archive.rss", 20_000, oversize_at=7_000, truncated=True)
    run = run_wirestream("parse", "archive.rss", tmp=tmp_path,
                         env={"WIRESTREAM_MAX_DOCUMENT_BYTES": str(2 * MIB)}, timeout=300)
    assert run.code == 2, run.stderr[-2000:]
    assert "parsed 19999 item(s), 2 dead letter(s)" in run.stderr
    assert {r["guid"] for r in run.records} == {f"urn:a:{i}" for i in range(20_000) if i != 7_000}
    oversize, truncated = run.dead_letters
    assert re.search(r"archive\.rss: <item> at byte \d+: item of 314\d{4} bytes exceeds "
                     r"max_item_bytes=1048576; original of 314\d{4} bytes truncated", oversize), oversize
    assert re.search(r"archive\.rss: truncated <item> at byte \d+: no closing tag$", truncated), truncated
    assert run.peak_rss_mib - baseline < 3 * 1 + 2 + 8, (run.peak_rss_mib, baseline)


def test_a_big_page_that_cannot_be_streamed_says_why(tmp_path):
    with (tmp_path / "page.html").open("wb") as f:
        f.write(b"<html><body>" + b"<p>woord</p>" * (3 * MIB // 12) + b"</body></html>")
    run = run_wirestream("parse", "page.html", tmp=tmp_path,
                         env={"WIRESTREAM_MAX_DOCUMENT_BYTES": str(2 * MIB)})
    assert run.code == 2 and run.records == []
    assert ("refused at page.html (not streamed: a listing document has no item boundaries to cut "
            "at; only RSS, Atom, NewsML-G2 and JSON lines are streamed)") in run.stderr


def test_a_streamed_feed_with_slash_greater_than_in_item_attributes_reads_like_the_whole(tmp_path):
    """``<item about="http://x/a/>b">`` is well-formed: streamed past the document limit, its
    items were taken for empty ``<item/>`` tags and every one became a dead letter."""
    items = b"".join(b'<item about="http://x/%d/>b"><guid>g%d</guid><title>T %d</title><pubDate>'
                     b"Sat, 24 Jan 2026 10:%02d:00 +0000</pubDate></item>\n" % (i, i, i, i % 60)
                     for i in range(300))
    (tmp_path / "feed.rss").write_bytes(b'<?xml version="1.0"?>\n<rss version="2.0"><channel>'
                                        b"<title>T</title>\n" + items + b"</channel></rss>\n")
    at = ("--fetched-at", "2026-01-24T18:00:00Z")
    streamed = run_wirestream("parse", "feed.rss", *at, tmp=tmp_path,
                              env={"WIRESTREAM_MAX_DOCUMENT_BYTES": "4000"})
    whole = run_wirestream("parse", "feed.rss", *at, tmp=tmp_path)
    assert streamed.code == whole.code == 0, streamed.stderr[-2000:]
    assert "parsed 300 item(s), 0 dead letter(s)" in streamed.stderr
    assert sorted(streamed.records, key=str) == sorted(whole.records, key=str)
