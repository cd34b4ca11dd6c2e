"""File, URL (conditional GET, backoff) and JSON-lines replay sources, without network."""

from __future__ import annotations

import httpx
import pytest

from producers.sources import UrlSource, iter_file_documents, iter_replay_items
from producers.sources.http import FetchError
from producers.sources.replay import RateLimiter
from producers.state import SourceState
from wirecore.retry import Backoff, RetryPolicy


def public(host: str) -> list[str]:
    """Resolver for the mocked hosts: a public address (no DNS in unit tests)."""
    return ["93.184.216.34"]


def test_file_source_reads_a_file_or_a_directory(tmp_path):
    (tmp_path / "b.xml").write_bytes(b"<rss/>")
    (tmp_path / "a.txt").write_bytes(b"text")
    (tmp_path / ".hidden").write_bytes(b"no")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.jsonl").write_bytes(b"{}")
    docs = list(iter_file_documents(tmp_path, fetched_at="2026-01-24T17:00:00+00:00"))
    assert [d.name.removeprefix(str(tmp_path)) for d in docs] == ["/a.txt", "/b.xml", "/sub/c.jsonl"]
    assert docs[0].data == b"text" and docs[0].url.startswith("file://")
    assert [d.data for d in iter_file_documents(tmp_path / "b.xml")] == [b"<rss/>"]


def test_conditional_get_sends_validators_and_handles_304(tmp_path):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, content=b"<rss/>", headers={
            "ETag": '"v1"', "Last-Modified": "Sat, 24 Jan 2026 17:00:00 GMT",
            "Content-Type": "application/rss+xml"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    src = UrlSource("https://example.org/feed", client, SourceState(tmp_path / "s.sqlite"), resolve=public)
    doc = src.fetch()
    assert doc.data == b"<rss/>" and doc.content_type == "application/rss+xml"
    assert src.fetch() is None
    assert seen[1]["if-none-match"] == '"v1"'
    assert seen[1]["if-modified-since"] == "Sat, 24 Jan 2026 17:00:00 GMT"


def test_poll_backs_off_exponentially_and_recovers():
    responses = iter([500, 503, 200, 500, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        code = next(responses)
        return httpx.Response(code, content=b"<rss/>" if code == 200 else b"")

    sleeps, errors = [], []
    src = UrlSource("https://example.org/f", httpx.Client(transport=httpx.MockTransport(handler)), resolve=public)
    docs = list(src.poll(60, backoff=Backoff(RetryPolicy(initial=2, cap=100, jitter=0)), sleep=sleeps.append,
                         on_error=errors.append, max_polls=5))
    assert len(docs) == 2
    assert sleeps == [2, 4, 60, 2, 60]  # failures: 2 s, 4 s; success resets; then the interval
    assert errors[0] == "https://example.org/f: HTTP 500; retrying in 2 s"


def test_backoff_is_capped():
    backoff = Backoff(RetryPolicy(initial=1, cap=30, jitter=0))
    assert [backoff.failed() for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_network_error_is_a_fetch_error():
    def handler(request):
        raise httpx.ConnectError("refused")

    src = UrlSource("https://down.example", httpx.Client(transport=httpx.MockTransport(handler)), resolve=public)
    with pytest.raises(FetchError, match="ConnectError"):
        src.fetch()


def test_replay_is_rate_limited(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(b'{"id": 1, "title": "a"}\n{"id": 2, "title": "b"}\nbad\n')
    (tmp_path / "b.jsonl").write_bytes(b'{"id": 3, "title": "c"}\n')
    clock = [0.0]
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        clock[0] += s

    errors = []
    limiter = RateLimiter(10, clock=lambda: clock[0], sleep=sleep)
    items = list(iter_replay_items(tmp_path, source="bf", fetched_at="2026-01-24T17:00:00Z",
                                   limiter=limiter, on_error=errors.append))
    assert [i.key for i in items] == ["1", "2", "3"]
    assert sleeps == pytest.approx([0.1, 0.1])  # the first item goes at once
    assert clock[0] == pytest.approx(0.2)
    assert len(errors) == 1 and "line 3: malformed JSON" in errors[0]
