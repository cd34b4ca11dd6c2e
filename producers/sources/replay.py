"""Replay JSON-lines backfill files (a file or a directory of them) at a bounded rate."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from producers.formats import split_document
from producers.sources.files import list_files
from schemas.models import RawItem


class RateLimiter:
    """At most ``rate`` calls of ``wait()`` per second (None: unlimited)."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self._interval = 1.0 / rate if rate else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = clock()

    def wait(self) -> None:
        if not self._interval:
            return
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = max(self._next, now) + self._interval


def iter_replay_items(
    path: Path | str, *, source: str, fetched_at: str, rate: float | None = None,
    limiter: RateLimiter | None = None, on_error: Callable[[str], None] = lambda _: None,
) -> Iterator[RawItem]:
    """Items of every line of every ``.jsonl`` file under ``path``, ``rate`` per second."""
    limiter = limiter or RateLimiter(rate)
    for file in list_files(Path(path)):
        result = split_document(file.read_bytes(), "jsonl", source=source,
                                fetched_at=fetched_at, url=file.resolve().as_uri())
        for reason, _ in result.errors:
            on_error(f"{file}: {reason}")
        for item in result.items:
            limiter.wait()
            yield item


def count_lines(path: Path | str) -> int:
    return sum(f.read_bytes().count(b"\n") for f in list_files(Path(path)))
