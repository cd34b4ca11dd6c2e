"""Documents from a file, or from every file under a directory (sorted, hidden ones skipped).

Reading is bounded: a document is read in blocks and refused (prefix kept) once it passes
``max_document_bytes``; a JSON-lines file is streamed as runs of whole lines, and one line
longer than ``max_item_bytes`` becomes a refusal of its own (prefix kept) while the lines
around it go on. Peak memory is one run or one document, never the file.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from producers.limits import ProducerLimits
from producers.sources.base import STREAM_SOURCE, Document, now_iso

BLOCK = 64 << 10
_JSONL_SUFFIXES = (".jsonl", ".ndjson")


OnUnreadable = Callable[[Path, OSError], None]


def _raise(_path: Path, exc: OSError) -> None:
    raise exc


def list_files(path: Path, on_unreadable: OnUnreadable = _raise) -> list[Path]:
    """Every file under a directory, sorted, hidden ones skipped. A subdirectory that cannot
    be listed goes to ``on_unreadable`` by name, so its files are not dropped without a word."""
    if not path.is_dir():
        return [path]
    found: list[Path] = []
    walk = os.walk(path, onerror=lambda exc: on_unreadable(Path(exc.filename or path), exc))
    for top, dirs, names in walk:
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [p for n in names if not n.startswith(".") and (p := Path(top, n)).is_file()]
    return sorted(found)


def is_jsonl(path: Path, fmt: str | None) -> bool:
    return fmt == "jsonl" or (fmt is None and path.name.lower().endswith(_JSONL_SUFFIXES))


def read_capped(stream: BinaryIO, limit: int, keep: int) -> tuple[bytes, int, bool]:
    """(bytes, size seen, complete). Stops reading once ``limit`` is passed and then keeps
    only the first ``keep`` bytes, so a huge input never sits in memory whole."""
    parts: list[bytes] = []
    size = 0
    while True:
        block = stream.read(BLOCK)
        if not block:
            return b"".join(parts), size, True
        parts.append(block)
        size += len(block)
        if size > limit:
            return prefix(parts, keep), size, False


def prefix(parts: list[bytes], keep: int) -> bytes:
    """The first ``keep`` bytes of ``parts`` without joining them all (no second copy)."""
    out, n = [], 0
    for part in parts:
        if n >= keep:
            break
        out.append(part[: keep - n])
        n += len(out[-1])
    return b"".join(out)


def iter_lines_runs(stream: BinaryIO, doc: Document, limits: ProducerLimits) -> Iterator[Document]:
    """Runs of whole lines (about ``line_chunk_bytes`` each) as jsonl documents; an oversize
    line as a refused document carrying its prefix."""
    run: list[bytes] = []
    run_bytes, run_first, number = 0, 1, 0
    line: list[bytes] = []
    line_bytes, keep = 0, limits.max_item_bytes

    def make(data: bytes, first: int, **kw) -> Document:
        return Document(data=data, name=doc.name, fetched_at=doc.fetched_at, url=doc.url,
                        source=doc.source,
                        content_type=doc.content_type, fmt="jsonl", first_line=first, **kw)

    def end_line(newline: bool) -> Iterator[Document]:
        nonlocal run, run_bytes, run_first, line, line_bytes
        data = b"".join(line)
        length = line_bytes - newline  # the item's bytes, without its line end
        if length > limits.max_item_bytes:
            if run:
                yield make(b"".join(run), run_first)
            run, run_bytes, run_first = [], 0, number + 1
            yield make(data[:keep], number, size=length,
                       refused=f"line {number}: item of {length} bytes exceeds "
                               f"max_item_bytes={limits.max_item_bytes}")
        else:
            run.append(data)
            run_bytes += len(data)
            if run_bytes >= limits.line_chunk_bytes:
                yield make(b"".join(run), run_first)
                run, run_bytes, run_first = [], 0, number + 1
        line, line_bytes = [], 0

    while block := stream.read(BLOCK):
        start = 0
        while start < len(block):
            nl = block.find(b"\n", start)
            piece = block[start:] if nl < 0 else block[start : nl + 1]
            if line_bytes < keep + 1:
                line.append(piece[: keep + 1 - line_bytes])
            line_bytes += len(piece)
            if nl < 0:
                break
            number += 1
            yield from end_line(True)
            start = nl + 1
    if line_bytes:
        number += 1
        yield from end_line(False)
    if run:
        yield make(b"".join(run), run_first)


def iter_file_documents(
    path: Path | str, fetched_at: str | None = None, *, limits: ProducerLimits | None = None,
    fmt: str | None = None, on_unreadable: OnUnreadable = _raise,
) -> Iterator[Document]:
    """Documents of every file under ``path``. A file (or subdirectory) that cannot be read
    goes to ``on_unreadable`` and the next one is read: one locked file must not drop the rest
    of a directory. The default raises the OSError."""
    limits = limits or ProducerLimits()
    for file in list_files(Path(path), on_unreadable):
        try:
            yield from _file_documents(file, fetched_at, limits, fmt)
        except OSError as exc:
            on_unreadable(file, exc)


def iter_stdin_documents(fetched_at: str | None = None, *, limits: ProducerLimits | None = None,
                         fmt: str | None = None) -> Iterator[Document]:
    """Documents read from standard input (the ``-`` argument), under the default source
    name ``stdin``."""
    base = Document(data=b"", name="<stdin>", fetched_at=fetched_at or now_iso(), fmt=fmt,
                    source=STREAM_SOURCE)
    yield from _stream_documents(sys.stdin.buffer, base, limits or ProducerLimits())


def is_stream(file: Path, fd: int) -> bool:
    """A pipe, /dev/stdin, /dev/fd/N: its resolved path (``pipe:[4248681]``) changes on every
    run, so it cannot name the source; item ids hash the source name."""
    return not stat.S_ISREG(os.fstat(fd).st_mode) or file.as_posix().startswith("/dev/")


def _file_documents(file: Path, fetched_at: str | None, limits: ProducerLimits,
                    fmt: str | None) -> Iterator[Document]:
    """One file's documents; a stream gets the default source name ``stdin``."""
    with file.open("rb") as stream:
        streamed = is_stream(file, stream.fileno())
        base = Document(data=b"", name=str(file), fetched_at=fetched_at or now_iso(), fmt=fmt,
                        url=None if streamed else file.resolve().as_uri(),
                        source=STREAM_SOURCE if streamed else None)
        yield from _stream_documents(stream, base, limits)


def _stream_documents(stream: BinaryIO, base: Document, limits: ProducerLimits) -> Iterator[Document]:
    """A whole document (refused past ``max_document_bytes``) or runs of JSON lines."""
    if is_jsonl(Path(base.name), base.fmt):
        yield from iter_lines_runs(stream, base, limits)
        return
    data, size, complete = read_capped(stream, limits.max_document_bytes, limits.refusal_prefix)
    base.data, base.size = data, size
    if not complete:
        base.refused = (f"document of more than {limits.max_document_bytes} bytes exceeds "
                        f"max_document_bytes (WIRESTREAM_MAX_DOCUMENT_BYTES); refused at {base.name}")
    yield base
