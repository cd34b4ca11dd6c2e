"""A URL polled with conditional GET (ETag / Last-Modified) and capped exponential backoff.

The httpx client is injected (tests use ``httpx.MockTransport``); validators live in the
per-source state so a restarted producer still sends If-None-Match.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from producers.sources.base import Document, now_iso
from producers.state import SourceState


@dataclass(slots=True)
class Backoff:
    """Delay after the n-th consecutive failure: base * 2**(n-1), capped, with jitter."""

    base_s: float = 2.0
    cap_s: float = 300.0
    jitter: float = 0.1
    failures: int = 0

    def failed(self) -> float:
        self.failures += 1
        delay = min(self.cap_s, self.base_s * 2 ** min(self.failures - 1, 30))
        return delay * (1 + random.uniform(-self.jitter, self.jitter))

    def succeeded(self) -> None:
        self.failures = 0


class FetchError(RuntimeError):
    """A fetch failed (network error or HTTP error status); the poller backs off."""


class UrlSource:
    def __init__(self, url: str, client: httpx.Client, state: SourceState | None = None):
        self.url = url
        self._client = client
        self._state = state

    def fetch(self) -> Document | None:
        """The document, or None when the server says it has not changed (304)."""
        etag, modified = self._state.validators(self.url) if self._state else (None, None)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        try:
            response = self._client.get(self.url, headers=headers, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise FetchError(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 304:
            return None
        if response.status_code >= 400:
            raise FetchError(f"{self.url}: HTTP {response.status_code}")
        if self._state:
            self._state.set_validators(self.url, response.headers.get("ETag"),
                                       response.headers.get("Last-Modified"))
        return Document(data=response.content, name=self.url, fetched_at=now_iso(),
                        url=str(response.url), content_type=response.headers.get("Content-Type"))

    def poll(
        self, interval_s: float, *, backoff: Backoff | None = None,
        sleep: Callable[[float], None], on_error: Callable[[str], None] = lambda _: None,
        max_polls: int | None = None,
    ) -> Iterator[Document]:
        """Fetch every ``interval_s``; after errors wait the backoff delay instead."""
        backoff = backoff or Backoff()
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
            backoff.succeeded()
            if document is not None:
                yield document
            sleep(interval_s)
