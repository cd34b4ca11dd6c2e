"""Cut a big RSS / Atom / NewsML-G2 feed into runs of whole items while it streams.

A feed larger than ``max_document_bytes`` is fed here block by block. ``XmlItemRuns`` finds
the top-level item elements (``<item>``, ``<entry>``, ``<newsItem>``) with a linear,
resumable byte scan that skips comments, CDATA sections, processing instructions and
declarations, and yields *runs*: the feed's header (everything before its first item: XML
declaration, root and channel start tags with their namespace declarations, the channel's
title and language) + the bytes of some whole items + the end tags the header left open.
Each run is a small well-formed feed that ``split_xml`` splits as it would the whole
document, so every item comes out byte-identical with the same key.

Memory is one run (about ``run_bytes``) plus one item; nothing else is kept:

- an item larger than ``max_item_bytes`` becomes a refusal carrying its first
  ``max_item_bytes`` bytes and its size; the items around it go on;
- an item still open at the end of the input (a truncated download) becomes a refusal
  ``truncated <item>: no closing tag`` with its bytes;
- bytes between items that belong to no item (an Atom feed's trailing elements) are scanned,
  not kept, once they pass ``max_item_bytes``.

A feed is not streamed (``NotStreamable``, raised before any run is given out) when no item
starts within ``header_limit`` bytes, or when its header has a DTD with an internal subset or
entity declarations: any item could use them, so those documents stay refused whole, with
why. A DTD with only an external id is refused as ``split_xml`` refuses it (one dead letter)
and the items are read without it.

Every search continues where the previous one stopped, also across blocks: no input
(``"<item " * 200000``, an unclosed comment) makes the scan quadratic.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from producers.formats.xmlfeeds import ITEM_TAG
from schemas.models import InvalidItem
from wirecore.xmlsafe import check_xml_bytes

STREAMABLE = frozenset(ITEM_TAG)  # rss, atom, newsml

_NAME_MAX = 256
_NAME = re.compile(rb"[^\s/><]{1,%d}" % _NAME_MAX)
_TERM = {"comment": b"-->", "cdata": b"]]>", "pi": b"?>", "decl": b">", "end": b">"}
_MAX_STACK = 256  # open elements outside items that are tracked (headers are a few deep)
_TAG_STOP = re.compile(rb"[<>\"']")  # in a start tag: its end, a quoted value, a bad "<"
_IN_QUOTE = {b'"': re.compile(rb'["<]'), b"'": re.compile(rb"['<]")}
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


class NotStreamable(Exception):  # noqa: N818 - a verdict, not a failure
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Piece:
    """A run of whole items (a small feed), or a refused item (``refused`` says why)."""

    data: bytes
    offset: int  # byte offset of its first item in the input
    refused: str | None = None
    size: int | None = None  # a refused item's full size in bytes


def stream_encoding_problem(head: bytes) -> str | None:
    """Why a feed with these first bytes cannot be cut by byte scanning, or None: UTF-16 and
    UTF-32 (a byte-order mark, or the XML declaration names one) are not ASCII-compatible."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # also the UTF-32 marks
        return "UTF-16/UTF-32 text is not streamed (convert it to UTF-8)"
    m = _ENCODING.match(head)
    if m is None:
        return None
    name = m.group(1).decode("ascii")
    try:
        ascii_compatible = "<a/>".encode(name) == b"<a/>"
    except (LookupError, ValueError):
        return None  # an unknown encoding: the parser says so per item, as for a whole document
    return None if ascii_compatible else f"encoding {name} is not streamed (convert it to UTF-8)"


class XmlItemRuns:
    """Feed blocks with ``feed``, then call ``close``; each returns the pieces completed."""

    def __init__(self, fmt: str, *, run_bytes: int, max_item_bytes: int, header_limit: int):
        self.tag = ITEM_TAG[fmt]
        self._tag = self.tag.encode()
        # inside an item only these matter: its own tag (nesting), comments/CDATA/PIs
        self._inner = re.compile(rb"<(?:!|\?|/?(?:[^\s/>!?<:]{1,%d}:)?%s(?=[\s>/]))"
                                 % (_NAME_MAX, re.escape(self._tag)))
        self.run_bytes, self.max_item, self.header_limit = run_bytes, max_item_bytes, header_limit
        self.buf = bytearray()
        self.base = 0  # input offset of buf[0]
        self.pos = 0  # input offset the scan has reached
        self.pending: tuple[str, bytes, int, int] | None = None  # kind, name, start, search from
        self.quote = b""  # the quote of an attribute value the pending start tag is inside
        self.stack: list[bytes] = []  # open elements outside items
        self.header: bytes | None = None
        self.closing = b""
        self.header_stack: list[bytes] = []
        self.depth = 0  # nesting of item tags; > 0 inside an item
        self.opening = False  # an item's start tag has begun but not ended
        self.item_start = 0
        self.run_start: int | None = None
        self.last_end = 0
        self.kept: bytes | None = None  # the prefix of an item found to be oversize
        self.out: list[Piece] = []

    # -- public ------------------------------------------------------------------------
    def feed(self, block: bytes) -> list[Piece]:
        self.buf += block
        self._scan(eof=False)
        self._trim()
        out, self.out = self.out, []
        return out

    def close(self) -> list[Piece]:
        self._scan(eof=True)
        if self.header is None:
            raise NotStreamable(f"no <{self.tag}> element found")
        if self._in_item:
            self._emit_run()
            data = self.kept if self.kept is not None else bytes(self._slice(self.item_start, None))
            end = self.base + len(self.buf)
            self.out.append(Piece(data, self.item_start, size=end - self.item_start,
                                  refused=f"truncated <{self.tag}> at byte {self.item_start}: "
                                          "no closing tag"))
        else:
            self._emit_run()
        out, self.out = self.out, []
        self.buf = bytearray()
        return out

    # -- scanning ----------------------------------------------------------------------
    @property
    def _in_item(self) -> bool:
        return self.depth > 0 or self.opening

    def _slice(self, start: int, stop: int | None) -> bytearray:
        return self.buf[start - self.base : None if stop is None else stop - self.base]

    def _scan(self, eof: bool) -> None:
        buf = self.buf
        end = self.base + len(buf)
        while True:
            if self.pending is not None:
                kind, name, start, frm = self.pending
                if kind == "start":
                    stop = self._tag_end(buf, frm)
                    if stop < 0:
                        self.pos = end
                        self._check()
                        return
                    self.pending = None
                    self.pos = self.base + stop
                    self._on_tag(kind, name, start, self.pos)
                    self._check()
                    continue
                term = _TERM[kind]
                i = buf.find(term, max(frm - self.base, 0))
                if i < 0:
                    self.pending = (kind, name, start, max(frm, end - len(term) + 1))
                    self.pos = end
                    self._check()
                    return
                self.pending = None
                self.pos = self.base + i + len(term)
                if kind == "end":
                    self._on_tag(kind, name, start, self.pos)
                self._check()
                continue
            rel = self.pos - self.base
            if self.depth:
                m = self._inner.search(buf, rel)
                if m is None:  # keep a tag's worth of tail: an item tag may straddle blocks
                    self.pos = end if eof else max(self.pos, end - _NAME_MAX - len(self._tag) - 8)
                    self._check()
                    return
                lt = m.start()
            else:
                lt = buf.find(b"<", rel)
                if lt < 0:
                    self.pos = end
                    self._check()
                    return
            start = self.base + lt
            if not self._token(buf, lt, start, eof):
                return

    def _tag_end(self, buf: bytearray, frm: int) -> int:
        """Index in ``buf`` just past the start tag being read, or -1 (more input needed;
        ``pending`` and ``quote`` say where to go on). A quoted attribute value may hold ">"
        and "/>" (``<item about="a/>b">``): the scan steps over it. A "<" (never in a
        well-formed tag) ends a malformed tag before it, so an unbalanced quote cannot swallow
        the items after it. Each byte is looked at once, also across blocks."""
        kind, name, start, _ = self.pending
        rel = max(frm - self.base, 0)
        while True:
            m = (_IN_QUOTE[self.quote] if self.quote else _TAG_STOP).search(buf, rel)
            if m is None:
                break
            c = m.group()
            if c == b">":
                return m.end()
            if c == b"<":
                self.quote = b""
                return m.start()
            self.quote = b"" if self.quote else c
            rel = m.end()
        self.pending = (kind, name, start, self.base + len(buf))
        return -1

    def _token(self, buf: bytearray, lt: int, start: int, eof: bool) -> bool:
        """Classify the markup at ``buf[lt]`` ("<") and make it pending; False = wait for
        more input (the first bytes do not tell yet)."""
        nxt = buf[lt + 1 : lt + 2]
        if not nxt:  # a "<" that ends the input so far
            self.pos = self.base + len(buf) if eof else start
            return False
        name = b""
        if nxt == b"!":
            if buf.startswith(b"<!--", lt):
                kind, skip = "comment", 4
            elif buf.startswith(b"<![CDATA[", lt):
                kind, skip = "cdata", 9
            elif not eof and len(buf) - lt < 9 and (b"<!--".startswith(buf[lt:]) or
                                                    b"<![CDATA[".startswith(buf[lt:])):
                self.pos = start
                return False
            else:
                kind, skip = "decl", 2
        elif nxt == b"?":
            kind, skip = "pi", 2
        else:
            closing = nxt == b"/"
            off = lt + 1 + closing
            m = _NAME.match(buf, off)
            if m is None:
                if off >= len(buf) and not eof:
                    self.pos = start
                    return False
                self.pos = start + 1  # a "<" that opens no tag: text
                return True
            if m.end() == len(buf) and not eof:
                self.pos = start  # the name may go on in the next block
                return False
            name, kind, skip = m.group(), "end" if closing else "start", m.end() - lt
            if kind == "start" and self.depth == 0 and self._is_item(name):
                self._item_begins(start)
        self.pending = (kind, name, start, start + skip)
        return True

    def _is_item(self, name: bytes) -> bool:
        return name.rsplit(b":", 1)[-1] == self._tag

    def _on_tag(self, kind: str, name: bytes, start: int, stop: int) -> None:
        empty = kind == "start" and self.buf[stop - 2 - self.base : stop - self.base] == b"/>"
        if self._is_item(name):
            if kind == "start":
                if self.depth == 0:
                    self.opening = False
                    if empty:
                        self._item_ends(stop)
                        return
                if not empty:
                    self.depth += 1
            elif self.depth:
                self.depth -= 1
                if self.depth == 0:
                    self._item_ends(stop)
            return
        if self.depth:
            return
        if kind == "start" and not empty:
            if len(self.stack) < _MAX_STACK:
                self.stack.append(name)
        elif kind == "end" and name in self.stack:
            while self.stack.pop() != name:
                pass

    # -- items and runs ----------------------------------------------------------------
    def _item_begins(self, start: int) -> None:
        if self.header is None:
            self._set_header(start)
        if self.run_start is None:
            self.run_start = start
        self.item_start, self.opening = start, True

    def _set_header(self, start: int) -> None:
        header = bytes(self._slice(0, start))
        try:
            check_xml_bytes(header)
        except InvalidItem as exc:
            header = self._without_dtd(header, exc.reason)
        self.header, self.header_stack = header, list(self.stack)
        self.closing = b"".join(b"</" + n + b">" for n in reversed(self.stack))

    def _without_dtd(self, header: bytes, reason: str) -> bytes:
        """A DOCTYPE with only an external id (RSS 0.91's Netscape DTD) declares no entity an
        item could use: as for a whole document, its refusal is a dead letter and the items
        are read without it. A DTD with an internal subset or entities is not streamed: any
        item may depend on it."""
        m = _DOCTYPE.search(header)
        end = header.find(b">", m.end()) if m else -1
        if m is None or end < 0 or b"[" in header[m.start() : end] or b"<!ENTITY" in header:
            raise NotStreamable(f"its header is refused ({reason})")
        stripped = header[: m.start()] + header[end + 1 :]
        try:
            check_xml_bytes(stripped)
        except InvalidItem as exc:
            raise NotStreamable(f"its header is refused ({exc.reason})") from None
        self.out.append(Piece(header, 0, refused=f"document refused: {reason}"))
        return stripped

    def _item_ends(self, stop: int) -> None:
        if self.kept is None and stop - self.item_start > self.max_item:
            self._oversize()  # found at its end tag (the scan jumped over its content)
        if self.kept is not None:
            size = stop - self.item_start
            self.out.append(Piece(self.kept, self.item_start, size=size,
                                  refused=f"<{self.tag}> at byte {self.item_start}: item of {size} "
                                          f"bytes exceeds max_item_bytes={self.max_item}"))
            self.kept, self.run_start = None, None
            return
        self.last_end = stop
        assert self.run_start is not None
        length = stop - self.run_start
        # a run ends where the open elements are the header's (it then closes like the
        # header); a feed that nests items differently is still cut, at twice the size
        if length >= 2 * self.run_bytes or (length >= self.run_bytes and
                                            self.stack == self.header_stack):
            self._emit_run()

    def _emit_run(self) -> None:
        if self.run_start is not None and self.last_end > self.run_start:
            assert self.header is not None
            body = self._slice(self.run_start, self.last_end)
            self.out.append(Piece(self.header + body + self.closing, self.run_start))
        self.run_start = None

    def _oversize(self) -> None:
        """The current item is larger than ``max_item_bytes``: give out the run of the items
        before it, keep only its prefix from now on."""
        self._emit_run()
        self.kept = bytes(self._slice(self.item_start, self.item_start + self.max_item))

    def _check(self) -> None:
        """Bound what is kept: the header, an item, the bytes between items."""
        if self.header is None:
            if self.pos > self.header_limit:
                raise NotStreamable(f"no <{self.tag}> element starts in its first "
                                    f"{self.header_limit} bytes")
            return
        if self._in_item:
            if self.kept is None and self.pos - self.item_start > self.max_item:
                self._oversize()
        elif self.run_start is not None and self.pos - self.last_end > self.max_item:
            self._emit_run()  # a long stretch of non-item content: not kept

    def _trim(self) -> None:
        if self.header is None:
            return
        keep = self.pos
        if self.run_start is not None:
            keep = min(keep, self.run_start)
        if self._in_item and self.kept is None:
            keep = min(keep, self.item_start)
        if self.pending is not None:
            keep = min(keep, self.pending[3] - 2)
        cut = keep - self.base
        if cut >= 1 << 16:
            del self.buf[:cut]
            self.base = keep
