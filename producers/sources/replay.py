"""Replay JSON-lines backfill files (a file or a directory of them) at a bounded rate.

Files are streamed as runs of whole lines through the one producer pipeline's
``prepare_document``, so a replay obeys the same size limits, order and dead-letter rules as
``produce`` and ``up``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from producers.limits import ProducerLimits
from producers.rate import RateLimiter
from producers.sources.files import iter_file_documents, list_files
from schemas.models import RawItem

__all__ = ["RateLimiter", "count_lines", "iter_replay_items"]


def iter_replay_items(
    path: Path | str, *, source: str, fetched_at: str, rate: float | None = None,
    limiter: RateLimiter | None = None, on_error: Callable[[str], None] = lambda _: None,
    limits: ProducerLimits | None = None,
) -> Iterator[RawItem]:
    """Items of every line of every file under ``path``, ``rate`` per second."""
    from producers.pipeline import PipelineOptions, prepare_document

    limiter = limiter or RateLimiter(rate)
    opts = PipelineOptions(fmt="jsonl", source=source, fetched_at=fetched_at,
                           limits=limits or ProducerLimits())
    for doc in iter_file_documents(path, fetched_at, limits=opts.limits, fmt="jsonl"):
        prepared = prepare_document(doc, opts)
        for dl in prepared.dead_letters:
            on_error(f"{doc.name}: {dl.reason}")
        for item in prepared.items:
            limiter.wait()
            yield item


def count_lines(path: Path | str) -> int:
    """Lines under ``path``, for the replay's progress bar; unreadable files count 0."""
    total = 0
    for file in list_files(Path(path), on_unreadable=lambda _f, _e: None):
        try:
            with file.open("rb") as stream:
                while block := stream.read(1 << 16):
                    total += block.count(b"\n")
        except OSError:
            continue  # only a progress total: the reader reports the file by name
    return total
