"""Which format a fetched document is in: sniff the bytes, then use the content type and
file name to settle what the bytes leave open."""

from __future__ import annotations

import re

import orjson

from schemas.models import InvalidItem
from wirecore.text import mostly_binary, wide_codec

_BY_CONTENT_TYPE = {
    "application/rss+xml": "rss", "application/rdf+xml": "rss",
    "application/atom+xml": "atom",
    "application/ninjs+json": "ninjs", "application/vnd.iptc.ninjs+json": "ninjs",
    "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl", "application/jsonlines": "jsonl",
    "application/vnd.iptc.g2.newsitem+xml": "newsml", "application/vnd.iptc.g2.newsmessage+xml":
    "newsml", "text/html": "listing", "text/plain": "listing",
    "application/xhtml+xml": "listing",
}
_BY_SUFFIX = {
    ".rss": "rss", ".atom": "atom", ".ninjs": "ninjs", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".txt": "listing", ".html": "listing", ".htm": "listing",
}
_ROOT = re.compile(rb"<(?!\?|!)(?:[\w.-]+:)?([\w.-]+)")
_XML_ROOTS = {
    "rss": "rss", "RDF": "rss", "feed": "atom", "newsItem": "newsml", "newsMessage": "newsml",
    "html": "listing", "item": "rss", "entry": "atom", "channel": "rss",
}
_NINJS_KEYS = frozenset(("uri", "headline", "headlines", "body_text", "body_html", "bodies",
                         "versioncreated", "firstcreated", "located", "infosource", "standard"))


def _hint(filename: str | None, content_type: str | None) -> str | None:
    if content_type:
        fmt = _BY_CONTENT_TYPE.get(content_type.split(";")[0].strip().lower())
        if fmt:
            return fmt
    if filename:
        name = filename.lower()
        for suffix, fmt in _BY_SUFFIX.items():
            if name.endswith(suffix):
                return fmt
    return None


# elements an HTML page or fragment can open with; another unknown root (NewsML 1.x's
# <NewsML>, a sitemap's <urlset>) is not a listing page, even with a <p> inside
_HTML_ROOT_NAMES = (
    "html head body div p span a article section main header footer nav aside ul ol li dl "
    "table figure blockquote pre h1 h2 h3 h4 h5 h6 br hr img meta link title script style "
    "strong em b i time form template"
)
_HTML_ROOTS = frozenset(_HTML_ROOT_NAMES.split())


def _root_name(head: bytes) -> str | None:
    body = re.sub(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>", b"", head, flags=re.S)
    m = _ROOT.search(body)
    return m.group(1).decode("ascii", "replace") if m else None


def _sniff_xml(head: bytes) -> str | None:
    root = _root_name(head)
    return _XML_ROOTS.get(root) if root else None


def _sniff_json(data: bytes, hint: str | None) -> str | None:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        lines = [line for line in data.splitlines() if line.strip()]
        if len(lines) > 1 and lines[0].strip().startswith(b"{"):
            try:
                orjson.loads(lines[0])
                return "jsonl"
            except orjson.JSONDecodeError:
                pass
        if data.lstrip().startswith(b"["):
            return "ninjs"  # a truncated array; the splitter keeps its complete elements
        return hint if hint in ("ninjs", "jsonl") else None
    if hint in ("ninjs", "jsonl"):
        return hint
    first = doc[0] if isinstance(doc, list) and doc else doc
    if isinstance(first, dict) and _NINJS_KEYS & first.keys():
        return "ninjs"
    return "jsonl" if isinstance(doc, dict) else "ninjs"


def as_utf8(data: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes, as UTF-8 when a UTF-16/UTF-32 byte-order mark (or, without
    one, an XML declaration's first bytes) says the text is wide: sniffed raw, every other
    byte of a UTF-16 feed is NUL, so it looked binary."""
    wide = wide_codec(data)
    if wide is None:
        return data[:limit]
    codec, skip = wide
    return data[skip : skip + limit * 4].decode(codec, "ignore").encode("utf-8")[:limit]


def detect_format(
    data: bytes, *, filename: str | None = None, content_type: str | None = None
) -> str:
    """``listing`` | ``rss`` | ``atom`` | ``ninjs`` | ``newsml`` | ``jsonl``."""
    hint = _hint(filename, content_type)
    head = as_utf8(data, 8192).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise InvalidItem("unknown format: empty document")
    if mostly_binary(head):
        raise InvalidItem("unknown format: binary data")
    wide = wide_codec(data)
    if wide and not head.startswith(b"<"):  # XML declares its encoding; JSON and text pages
        raise InvalidItem(f"unknown format: {wide[0]} text that is not XML (convert to UTF-8)")
    if head.startswith(b"<"):
        fmt = _sniff_xml(head)
        if fmt:
            return fmt
        if hint and hint != "listing":
            return hint
        root = _root_name(head) or ""
        if root.lower() in _HTML_ROOTS or (
                hint == "listing" and re.search(rb"<(body|div|p|li|article|span)\b", head, re.I)):
            return "listing"
        raise InvalidItem("unknown format: XML with an unknown root element")
    if head.startswith((b"{", b"[")):
        fmt = _sniff_json(data, hint)
        if fmt:
            return fmt
        raise InvalidItem("unknown format: malformed JSON")
    if hint in (None, "listing") and _is_text(head):
        return "listing"
    raise InvalidItem(f"unknown format: {'binary data' if not _is_text(head) else hint}")


def _is_text(head: bytes) -> bool:
    if mostly_binary(head):
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls * 20 < len(head) and any(chr(b).isalpha() for b in head[:512] if b < 128)
