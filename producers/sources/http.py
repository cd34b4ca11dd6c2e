"""A URL polled with conditional GET (ETag / Last-Modified) and the shared backoff, fetched
safely from servers that may be hostile.

- **Total deadline** per fetch (``fetch_deadline_s``): checked after every chunk and used as
  the cap of each read timeout, so a server that drips one byte every few seconds cannot
  hold the poller; a fetch that passes it is a ``FetchError`` feeding the backoff. httpx's
  timeouts are per read, and the chunk check starts only once the headers are in, so a
  ``_Cutoff`` also shuts the connection's socket at the deadline: a server that drips its
  status line, headers or TLS handshake is cut there too.
- **Bounded body**: the body is read raw and decompressed here, chunk by chunk with
  ``max_length``, so a gzip bomb never inflates past ``max_document_bytes`` in memory;
  a larger body becomes a refused document (prefix + URL) that the pipeline dead-letters.
- **Redirects by hand**, each hop checked by the ``AddressGuard`` (http(s) only; no
  loopback, private, link-local or metadata address unless configured or allowed).

The httpx client is injected (tests use ``httpx.MockTransport``); validators live in the
per-source state so a restarted producer still sends If-None-Match.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from producers.limits import ProducerLimits
from producers.sources.address import AddressGuard, Resolver, system_resolve
from producers.sources.base import Document, now_iso
from producers.sources.errors import FetchError, FetchRefused
from producers.state import SourceState
from wirecore.retry import Backoff, Clock, RetryPolicy, SystemClock

__all__ = ["URL_RETRY", "FetchError", "FetchRefused", "UrlSource"]

URL_RETRY = RetryPolicy(initial=2.0, cap=300.0)  # a feed server that failed: seconds to minutes
MAX_REDIRECTS = 5
INFLATE_STEP = 256 << 10  # decompressed bytes per zlib call: a bomb never allocates more at once


class _Body:
    """Decodes a Content-Encoding incrementally and never holds more than ``limit`` + 1 bytes."""

    def __init__(self, encoding: str, limit: int):
        enc = encoding.strip().lower()
        self._gzip = enc in ("gzip", "x-gzip")
        if self._gzip:
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._inflate = zlib.decompressobj()
        elif enc in ("", "identity"):
            self._inflate = None
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding[:40]!r}")
        # one growing buffer, not a list of chunks: realloc/mremap keeps the heap unfragmented
        self.limit, self.size, self.buffer = limit, 0, bytearray()

    def feed(self, raw: bytes) -> bool:
        """Add a raw chunk; False once the decoded body is larger than the limit."""
        if self._inflate is None:
            return self._add(raw)
        try:
            pending = raw
            while pending and self.size <= self.limit:
                room = min(self.limit + 1 - self.size, INFLATE_STEP)
                data = self._inflate.decompress(pending, room)
                pending = self._inflate.unconsumed_tail
                if self._inflate.eof and self._gzip:  # a multi-member gzip body: next member
                    pending = self._inflate.unused_data
                    self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self._add(data)
        except zlib.error as exc:
            raise FetchError(f"corrupt compressed body: {exc}") from None
        return self.size <= self.limit

    def _add(self, data: bytes) -> bool:
        self.size += len(data)
        if self.size <= self.limit:
            self.buffer += data
        return self.size <= self.limit


class _Cutoff:
    """Shuts the fetch's TCP socket when the deadline passes, whatever httpx is waiting for.

    The socket comes from httpx's ``trace`` extension when the connection is made (a dup of
    it: the TLS layer detaches the original, and the dup's shutdown still ends the socket),
    which is why each fetch asks for ``Connection: close``: a pooled connection makes no such
    event. Shutting it wakes the blocked read, and ``fired`` tells the fetch why it failed
    (or that a body which seemed to end there was cut, not complete).
    """

    def __init__(self, seconds: float):
        self.fired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        with self._lock:
            if self._sock is not None:
                self._sock.close()
            self._sock = sock.dup() if sock is not None else None
        if self.fired:  # the deadline passed while connecting
            self._fire()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._sock is not None:
                with contextlib.suppress(OSError):  # already closed by the peer or by httpx
                    self._sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None


class UrlSource:
    def __init__(self, url: str, client: httpx.Client, state: SourceState | None = None, *,
                 limits: ProducerLimits | None = None, resolve: Resolver = system_resolve,
                 clock: Clock | None = None):
        self.url = url
        self._client = client
        self._state = state
        self._limits = limits or ProducerLimits()
        self._guard = AddressGuard(url, self._limits.allow_private, resolve)
        self._clock = clock or SystemClock()

    def _late(self) -> FetchError:
        return FetchError(f"{self.url}: no complete response within the fetch deadline of "
                          f"{self._limits.fetch_deadline_s:g} s")

    def _remaining(self, deadline: float) -> float:
        left = deadline - self._clock.monotonic()
        if left <= 0:
            raise self._late()
        return left

    def fetch(self) -> Document | None:
        """The document, or None when the server says it has not changed (304)."""
        deadline = self._clock.monotonic() + self._limits.fetch_deadline_s
        etag, modified = self._state.validators(self.url) if self._state else (None, None)
        headers = {"Accept-Encoding": "gzip, deflate", "Connection": "close"}  # see _Cutoff
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        url = self.url
        cutoff = _Cutoff(self._remaining(deadline))
        try:
            for _ in range(MAX_REDIRECTS + 1):
                self._guard.check(url)
                left = self._remaining(deadline)
                timeout = httpx.Timeout(min(self._limits.fetch_read_timeout_s, left))
                try:
                    with self._client.stream("GET", url, headers=headers, timeout=timeout,
                                             follow_redirects=False, extensions={"trace": cutoff.trace}) as response:
                        if response.status_code in (301, 302, 303, 307, 308):
                            url = str(response.url.join(response.headers.get("Location", "")))
                            continue
                        document = self._document(response, deadline)
                except httpx.HTTPError as exc:
                    if cutoff.fired:
                        raise self._late() from exc
                    raise FetchError(f"{self.url}: {type(exc).__name__}: {exc}") from exc
                if cutoff.fired:  # a body read until the connection closed was cut, not complete
                    raise self._late()
                return document
            raise FetchError(f"{self.url}: more than {MAX_REDIRECTS} redirects")
        finally:
            cutoff.close()

    def _document(self, response: httpx.Response, deadline: float) -> Document | None:
        if response.status_code == 304:
            return None
        if response.status_code >= 400:
            raise FetchError(f"{self.url}: HTTP {response.status_code}")
        limit = self._limits.max_document_bytes
        if response.is_stream_consumed:  # an in-memory response (httpx.MockTransport): decoded
            chunks, encoding = iter([response.content]), ""
        else:
            chunks, encoding = response.iter_raw(), response.headers.get("Content-Encoding", "")
        body = _Body(encoding, limit)
        complete = True
        for raw in chunks:
            self._remaining(deadline)
            if not body.feed(raw):
                complete = False
                break
        data = bytes(body.buffer if complete else body.buffer[: self._limits.refusal_prefix])
        body.buffer.clear()
        doc = Document(data=data, name=self.url, fetched_at=now_iso(), url=str(response.url),
                       content_type=response.headers.get("Content-Type"), size=body.size)
        if not complete:
            doc.refused = (f"document of more than {limit} bytes (after decompression) exceeds "
                           f"max_document_bytes (WIRESTREAM_MAX_DOCUMENT_BYTES); refused at {self.url}")
        elif self._state:
            self._state.set_validators(self.url, response.headers.get("ETag"),
                                       response.headers.get("Last-Modified"))
        return doc

    def poll(
        self, interval_s: float, *, backoff: Backoff | None = None,
        sleep: Callable[[float], None], on_error: Callable[[str], None] = lambda _: None,
        max_polls: int | None = None,
    ) -> Iterator[Document]:
        """Fetch every ``interval_s``; after errors wait the backoff delay instead."""
        backoff = backoff or Backoff(URL_RETRY)
        polls = 0
        while max_polls is None or polls < max_polls:
            polls += 1
            try:
                document = self.fetch()
            except FetchError as exc:
                delay = backoff.failed()
                on_error(f"{exc}; retrying in {delay:.0f} s")
                sleep(delay)
                continue
            backoff.reset()
            if document is not None:
                yield document
            sleep(interval_s)
