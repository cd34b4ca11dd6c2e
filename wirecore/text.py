"""Text helpers shared by every format: decoding, HTML to text, normalisation, hashing.

All pure and fast; they sit on the hot path of ``parse_raw_item``.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import re
import unicodedata

_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _cp1252_fallback(err: UnicodeDecodeError) -> tuple[str, int]:
    """Decode the offending bytes of a UTF-8 stream as cp1252 (mixed-encoding documents)."""
    bad = err.object[err.start : err.end]
    chars = "".join(
        chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in bad
    )
    return chars, err.end


codecs.register_error("wirestream-cp1252", _cp1252_fallback)


# UTF-32 first: the UTF-32 LE mark begins with the UTF-16 LE one. Without a mark, the XML
# spec (appendix F) tells a wide encoding by how "<?" or "<" is written in the first 4 bytes.
_WIDE_STARTS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", 4), (codecs.BOM_UTF32_BE, "utf-32-be", 4),
    (codecs.BOM_UTF16_LE, "utf-16-le", 2), (codecs.BOM_UTF16_BE, "utf-16-be", 2),
    (b"<\x00\x00\x00", "utf-32-le", 0), (b"\x00\x00\x00<", "utf-32-be", 0),
    (b"<\x00?\x00", "utf-16-le", 0), (b"\x00<\x00?", "utf-16-be", 0),
)


def wide_codec(data: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) when ``data`` is UTF-16/UTF-32 text: a byte-order mark, or an XML
    document whose first bytes are a wide ``<?``/``<`` (feeds declare ``encoding="utf-16"``
    without a mark; read raw, they looked binary)."""
    for start, codec, skip in _WIDE_STARTS:
        if data.startswith(start):
            return codec, skip
    return None


_BINARY_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13})


def looks_binary(data: bytes, sample: int = 4096) -> bool:
    """NUL bytes, or more than 5 % control bytes in the first 4 KiB: not a text document.
    (UTF-16 text would trip this too; wire formats are UTF-8 or a single-byte charset.)"""
    head = data[:sample]
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _BINARY_CONTROL))
    return controls > len(head) * 0.05


def mostly_binary(head: bytes) -> bool:
    """A whole *document* is binary when more than 5 % of its first bytes are control bytes
    (NUL included). Unlike ``looks_binary`` (for one item), a single NUL byte does not make a
    document binary: it belongs to one item, which is dead-lettered alone while its
    neighbours go on."""
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _BINARY_CONTROL))
    return controls > len(head) * 0.05


def decode_text(data: bytes) -> tuple[str, bool]:
    """UTF-8 (BOM stripped); undecodable bytes read as cp1252. Returns (text, fell_back)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "wirestream-cp1252"), True


_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


# C1 control characters (U+0080..U+009F) in feed text are cp1252 bytes read as Latin-1: a
# feed that declares iso-8859-1 but writes cp1252 quotes (as WHATWG's encoding standard
# assumes), or a CMS that did so before encoding to UTF-8. Read as cp1252 they are the
# quotes and dashes meant ("don\x92t" -> "don’t"); the five cp1252 leaves undefined go.
_C1 = re.compile("[\x80-\x9f]")
_C1_AS_CP1252 = {
    code: None if code in _CP1252_UNDEFINED else bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
}


def normalise(text: str) -> str:
    """NFC, C1 controls read as cp1252, other control characters dropped, whitespace runs
    collapsed to one space, stripped."""
    if not text.isascii():
        if _C1.search(text):
            text = text.translate(_C1_AS_CP1252)
        text = unicodedata.normalize("NFC", text)
    text = _WS.sub(" ", text).strip()
    if not text.isprintable():  # rare: control characters left after collapsing
        text = _WS.sub(" ", _CONTROL.sub("", text)).strip()
    return text


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: a character that is not a space, a separator, a control
    or a format character (zero-width space/joiners, direction marks, BOM, soft hyphen)."""
    return any(unicodedata.category(ch)[0] not in "CZ" for ch in text)


_TAG_HEAD = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)")
_DROP_HEAD = re.compile(r"<(script|style|template|noscript)\b", re.I)
_DROP_END = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style", "template", "noscript")}
_BLOCK_TAG_NAMES = (
    "p div br li ul ol h1 h2 h3 h4 h5 h6 article section header footer aside nav main "
    "blockquote pre table tr td th dl dt dd figure figcaption hr address"
)
BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())

# Markup is scanned with str.find, never with a regex that looks for a closing ">" / "-->" /
# "</script>" from every "<": on hostile input (60,000 unclosed "<script>" or "<a " in one
# body) such a regex is quadratic and held the parse stage for minutes on one item. Each
# scan below moves forward only; a closing token that is missing once is missing for good.


def _drop_hidden(markup: str) -> str:
    """``<script>``/``<style>``/``<template>``/``<noscript>`` elements (content included) -> " "."""
    out: list[str] = []
    pos, closed = 0, set(_DROP_END)
    while closed and (m := _DROP_HEAD.search(markup, pos)) is not None:
        name = m.group(1).lower()
        if name not in closed:  # no closing tag of this name after an earlier one
            out.append(markup[pos : m.end()])
            pos = m.end()
            continue
        gt = markup.find(">", m.end())
        end = _DROP_END[name].search(markup, gt + 1) if gt >= 0 else None
        if end is None:  # no ">" or no "</name>" from here on: the rest is left as it is
            closed.discard(name)
            if gt < 0:
                break
            out.append(markup[pos : m.end()])
            pos = m.end()
            continue
        out.append(markup[pos : m.start()] + " ")
        pos = end.end()
    out.append(markup[pos:])
    return "".join(out)


_DECLARATION = re.compile(r"<(?:\?[a-zA-Z]|!doctype\b)", re.I)


def _strip_tags(markup: str) -> str:
    """Tags removed (block elements -> a line break), comments removed, text kept. An XML
    declaration, processing instruction or ``<!DOCTYPE …>`` (a whole document embedded as
    escaped HTML, a ninjs NITF body) is markup too: it was kept as text."""
    out: list[str] = []
    pos, comments_close, declarations_close = 0, True, True
    while (lt := markup.find("<", pos)) >= 0:
        out.append(markup[pos:lt])
        if comments_close and markup.startswith("<!--", lt):
            end = markup.find("-->", lt + 4)
            if end >= 0:
                pos = end + 3
                continue
            comments_close = False
        if declarations_close and _DECLARATION.match(markup, lt):
            end = markup.find(">", lt + 2)
            if end >= 0:
                pos = end + 1
                continue
            declarations_close = False
        m = _TAG_HEAD.match(markup, lt)
        gt = markup.find(">", m.end()) if m is not None else -1
        if m is None or gt < 0:
            if m is not None:  # no ">" after this tag: none after any later one either
                out.append(markup[lt:])
                return "".join(out)
            out.append("<")
            pos = lt + 1
            continue
        out.append("\n" if m.group(2).lower() in BLOCK_TAGS else "")
        pos = gt + 1
    out.append(markup[pos:])
    return "".join(out)


def html_to_text(markup: str, *, keep_lines: bool = False) -> str:
    """Strip tags and decode entities. Block elements become line breaks when ``keep_lines``."""
    if "<" not in markup:
        text = html.unescape(markup) if "&" in markup else markup
        return text if keep_lines else normalise(text)
    text = html.unescape(_strip_tags(_drop_hidden(markup)))
    if keep_lines:
        return "\n".join(normalise(line) for line in text.splitlines())
    return normalise(text)


def looks_like_html(text: str) -> bool:
    """A tag (a name after "<", a ">" somewhere after it) or a closed comment."""
    m = _TAG_HEAD.search(text)
    if m is not None and text.find(">", m.end()) >= 0:
        return True
    start = text.find("<!--")
    return start >= 0 and text.find("-->", start + 4) >= 0


def short_hash(*parts: str) -> str:
    """32 hex chars of blake2b over the parts (unit-separator joined)."""
    data = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]?\s+(?=[\"'“‘(]?[A-ZÀ-ÖØ-Þ0-9])")


def first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of ``text`` (without its final full stop), trimmed at a word boundary."""
    m = _SENTENCE_END.search(text)
    sentence = text[: m.start()] if m else text
    sentence = sentence.strip()
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1].rstrip()
    if len(sentence) > limit:
        cut = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:-–— ")
        sentence = (cut or sentence[:limit]) + "…"
    return sentence
