"""Documents of one source reference (a file, a directory or an http(s) URL), read within
the producer limits. The one reader behind ``up``, ``produce`` and ``parse``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from producers.limits import ProducerLimits
from producers.sources.address import Resolver, system_resolve
from producers.sources.base import Document
from producers.sources.files import iter_file_documents, iter_stdin_documents
from producers.sources.http import UrlSource
from producers.state import SourceState
from wirecore.errors import UsageError

USER_AGENT = "wirestream/0.1"
STDIN = "-"  # the source reference that means standard input


def is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def http_client() -> httpx.Client:
    return httpx.Client(headers={"User-Agent": USER_AGENT})


def read_documents(
    ref: str, *, limits: ProducerLimits, fmt: str | None = None, fetched_at: str | None = None,
    client: httpx.Client | None = None, state: SourceState | None = None,
    resolve: Resolver = system_resolve, on_unreadable: Callable[[str], None] | None = None,
) -> Iterator[Document]:
    """Documents of ``ref``: a file, a directory, an http(s) URL or ``-`` (standard input).

    Raises ``UsageError`` for a path that does not exist or cannot be read, and
    ``FetchError`` for a URL that cannot be fetched (or that the fetcher refuses).

    With ``on_unreadable``, a file of a directory that cannot be read is reported there
    instead (one line naming the file) and the other files are still read."""
    if is_url(ref):
        own = client is None
        client = client or http_client()
        try:
            doc = UrlSource(ref, client, state, limits=limits, resolve=resolve).fetch()
        finally:
            if own:
                client.close()
        if doc is not None:
            if fetched_at:
                doc.fetched_at = fetched_at
            doc.fmt = fmt
            yield doc
        return
    if ref == STDIN:
        yield from iter_stdin_documents(fetched_at, limits=limits, fmt=fmt)
        return
    path = Path(ref)
    if not path.exists():
        raise UsageError(f"no such file: {ref}")

    def unreadable(file: Path, exc: OSError) -> None:
        line = f"cannot read {file}: {exc.strerror or exc}"
        if on_unreadable is None:
            raise UsageError(line) from None
        on_unreadable(line)

    try:
        yield from iter_file_documents(path, fetched_at, limits=limits, fmt=fmt,
                                       on_unreadable=unreadable)
    except OSError as exc:
        raise UsageError(f"cannot read {ref}: {exc.strerror or exc}") from None
