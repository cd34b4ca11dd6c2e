"""Documents from a file, or from every file under a directory (sorted, hidden ones skipped).

Reading is bounded: a document is read in blocks up to ``max_document_bytes``. A JSON-lines
file is streamed as runs of whole lines, and one line longer than ``max_item_bytes`` becomes
a refusal of its own (prefix kept) while the lines around it go on. An RSS, Atom or
NewsML-G2 feed that passes ``max_document_bytes`` is streamed as runs of whole items
(``producers.formats.xmlstream``): each run repeats the feed's header, an oversize or
truncated item is a refusal of its own. Any other document that passes the limit is refused
(prefix kept), with the reason it was not streamed. Peak memory is one run or one document,
never the file.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from producers.formats.detect import detect_format
from producers.formats.xmlstream import STREAMABLE, NotStreamable, XmlItemRuns, stream_encoding_problem
from producers.limits import ProducerLimits
from producers.sources.base import STREAM_SOURCE, Document, now_iso
from schemas.models import InvalidItem

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
    parts, size, complete = read_parts(stream, limit)
    return (b"".join(parts) if complete else prefix(parts, keep)), size, complete


def read_parts(stream: BinaryIO, limit: int) -> tuple[list[bytes], int, bool]:
    """(blocks read, size seen, complete): the blocks up to just past ``limit``."""
    parts: list[bytes] = []
    size = 0
    while True:
        block = stream.read(BLOCK)
        if not block:
            return parts, size, True
        parts.append(block)
        size += len(block)
        if size > limit:
            return parts, size, False


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
    elif number == 0:  # not one byte: an empty document, as any other empty file (exit 2, not silence)
        yield make(b"", 1)


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
    """A whole document, runs of JSON lines, or runs of a big feed's items; any other
    document past ``max_document_bytes`` is refused, saying why it was not streamed."""
    if is_jsonl(Path(base.name), base.fmt):
        yield from iter_lines_runs(stream, base, limits)
        return
    parts, size, complete = read_parts(stream, limits.max_document_bytes)
    if complete:
        base.data, base.size = b"".join(parts), size
        yield base
        return
    head = prefix(parts, 8192)
    fmt, why = streamable_format(head, base)
    if fmt is not None:
        kept = prefix(parts, limits.refusal_prefix)
        try:
            yield from iter_xml_runs(parts, stream, base, fmt, limits)
            return
        except NotStreamable as exc:  # raised before any run was given out
            why, parts = exc.reason, [kept]
    base.data, base.size = prefix(parts, limits.refusal_prefix), size
    base.refused = (f"document of more than {limits.max_document_bytes} bytes exceeds "
                    f"max_document_bytes (WIRESTREAM_MAX_DOCUMENT_BYTES); refused at {base.name} "
                    f"(not streamed: {why})")
    yield base


def streamable_format(head: bytes, doc: Document) -> tuple[str | None, str]:
    """(format, "") when a document starting with ``head`` can be streamed as runs of items,
    else (None, why not)."""
    fmt = doc.fmt
    if fmt is None:
        try:
            fmt = detect_format(head, filename=doc.url or doc.name, content_type=doc.content_type)
        except InvalidItem as exc:
            return None, exc.reason
    if fmt not in STREAMABLE:
        return None, (f"a {fmt} document has no item boundaries to cut at; only RSS, Atom, "
                      "NewsML-G2 and JSON lines are streamed")
    problem = stream_encoding_problem(head)
    return (None, problem) if problem else (fmt, "")


def iter_xml_runs(parts: list[bytes], stream: BinaryIO, doc: Document, fmt: str,
                  limits: ProducerLimits) -> Iterator[Document]:
    """Runs of whole items of a big feed (``parts`` already read, then the rest of
    ``stream``), and a refusal for each oversize or truncated item.

    Raises ``NotStreamable`` before the first run when the feed cannot be cut safely."""
    runs = XmlItemRuns(fmt, run_bytes=limits.xml_run_bytes, max_item_bytes=limits.max_item_bytes,
                       header_limit=min(limits.max_item_bytes, limits.max_document_bytes))

    def blocks() -> Iterator[bytes]:
        parts.reverse()  # handed over one by one, so they are not held twice
        while parts:
            yield parts.pop()
        while block := stream.read(BLOCK):
            yield block

    def documents(pieces) -> Iterator[Document]:
        for piece in pieces:
            yield Document(data=piece.data, name=doc.name, fetched_at=doc.fetched_at, url=doc.url,
                           source=doc.source, content_type=doc.content_type, fmt=fmt,
                           refused=piece.refused, size=piece.size, exact_size=True)

    for block in blocks():
        yield from documents(runs.feed(block))
    yield from documents(runs.close())
