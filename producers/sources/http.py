"""A URL polled with conditional GET (ETag / Last-Modified) and capped exponential backoff.

The httpx client is injected (tests use ``httpx.MockTransport``); validators live in the
per-source state so a restarted producer still sends If-None-Match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx

from producers.sources.base import Document, now_iso
from producers.state import SourceState
from wirecore.errors import TransientError
from wirecore.retry import Backoff, RetryPolicy

URL_RETRY = RetryPolicy(initial=2.0, cap=300.0)  # a feed server that failed: seconds to minutes


class FetchError(TransientError):
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
