"""Input lines in chunks, for commands that work a chunk at a time (``wirestream cluster``).

A chunk is up to ``size`` lines, but on a live input (``tail -f feed.jsonl | wirestream
cluster``) waiting for a full chunk would hold back decisions for lines that arrived long
ago. So a chunk read from a file descriptor also ends where the input has nothing more
ready (``select`` with a zero timeout), and is marked ``idle``: the caller should finish
and flush everything it holds before reading on. A regular file is always ready, so bulk
input still comes in full chunks.
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterable, Iterator
from typing import NamedTuple

READ_BYTES = 1 << 16


class Chunk(NamedTuple):
    first: int  # number (1-based) of the chunk's first line
    lines: list[bytes]  # each with its newline, but the last line of an input may lack one
    idle: bool  # the input had nothing more ready when the chunk ended (or it ended)


def chunks_of(lines: Iterable[bytes], size: int) -> Iterator[Chunk]:
    """Chunks of an in-memory or file-object line iterator (never idle before its end)."""
    batch: list[bytes] = []
    first = 1
    for n, line in enumerate(lines, start=1):
        batch.append(line)
        if len(batch) >= size:
            yield Chunk(first, batch, False)
            first, batch = n + 1, []
    if batch:
        yield Chunk(first, batch, True)


def fd_chunks(fd: int, size: int, max_line: int | None = None) -> Iterator[Chunk]:
    """Chunks of the lines read from ``fd``, ending early (``idle``) where the input pauses.

    Reads whatever is available (``os.read`` blocks only while nothing is), so a line is
    handed on as soon as its newline arrives. A partial line is kept as a list of parts
    until its newline comes: a 50 MB line costs one join, not a copy per read. With
    ``max_line``, no more than that many bytes (plus one read) of a line are held: a longer
    line is handed on cut short, still longer than ``max_line``, for the caller to reject,
    so one endless line cannot take all memory.
    """
    batch: list[bytes] = []
    first = n = 0
    partial: list[bytes] = []
    held = 0  # bytes in ``partial``
    while True:
        data = os.read(fd, READ_BYTES)
        if not data:
            break
        if b"\n" not in data:
            if max_line is None or held <= max_line:
                partial.append(data)
                held += len(data)
            continue
        if partial:
            if max_line is not None and held > max_line:  # cut short: the rest is dropped
                data = data[data.index(b"\n"):]
            partial.append(data)
            data = b"".join(partial)
            partial, held = [], 0
        lines = data.split(b"\n")
        tail = lines.pop()
        if tail:
            partial.append(tail)
            held = len(tail)
        for line in lines:
            n += 1
            if not batch:
                first = n
            batch.append(line + b"\n")
            if len(batch) >= size:
                yield Chunk(first, batch, False)
                batch = []
        if batch and not _ready(fd):
            yield Chunk(first, batch, True)
            batch = []
    if partial:
        n += 1
        if not batch:
            first = n
        batch.append(b"".join(partial))
    if batch:
        yield Chunk(first, batch, True)


def _ready(fd: int) -> bool:
    """Whether a read of ``fd`` would return at once (data or end of input)."""
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):  # not selectable: treat it as a file, always ready
        return True
