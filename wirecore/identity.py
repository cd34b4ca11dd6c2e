"""Item identity rules shared by the producers (keys, ordering) and the parser (guids).

Both sides must derive the same id from the same bytes, so the rule lives once, here.
"""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from wirecore.dates import match_label
from wirecore.text import html_to_text, normalise, short_hash
from wirecore.xmlsafe import inner_xml_text, local

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def split_label(text: str) -> tuple[str | None, str]:
    """(age label or None, the item's text without it). The label is a whole first/last line,
    or glued to the start of the first line (``14 minuten geledenMINNEAPOLIS ...``)."""
    stripped = text.strip()
    head, sep, rest = stripped.partition("\n")
    m = match_label(head)
    if m is not None:
        if m.end() == len(head.rstrip()):
            return head.strip(), rest.strip()
        if not head[m.end()].isspace():
            return head[: m.end()], (head[m.end() :] + sep + rest).strip()
    before, sep, tail = stripped.rpartition("\n")
    if sep:
        m = match_label(tail.strip())
        if m is not None and m.end() == len(tail.strip()):
            return tail.strip(), before.strip()
    return None, stripped


def item_guid(source: str, text_without_label: str) -> str:
    """Stable id of a listing item: the same text on the same source gives the same id."""
    return short_hash(source, normalise(text_without_label))


# Modules whose elements stand in for the core ones (dc:date, dc:creator, content:encoded)
_STANDARD_MODULES = frozenset(("", "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/",
                               "http://purl.org/rss/1.0/modules/content/"))


def _namespace(tag: str) -> str:
    return tag[1 : tag.index("}")] if tag.startswith("{") else ""


def children(el: etree._Element) -> dict[str, etree._Element]:
    """The first child of each local name, preferring the element's own vocabulary (its
    namespace), then no namespace / Dublin Core / content, then any extension. By local name
    alone an extension's ``media:title``, ``itunes:summary`` or ``media:description`` that
    came first stood in for the item's own title or description."""
    own = _namespace(el.tag) if isinstance(el.tag, str) else ""
    found: dict[str, etree._Element] = {}
    rank: dict[str, int] = {}
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = local(tag)
        if not name:
            continue
        ns = _namespace(tag)
        r = 0 if ns == own else 1 if ns in _STANDARD_MODULES else 2
        if rank.get(name, 3) > r:
            found[name], rank[name] = child, r
    return found


def plain_text(el: etree._Element | None) -> str:
    return normalise(el.text or "") if el is not None else ""


def markup_text(el: etree._Element | None) -> str:
    """Text of an element that may hold escaped HTML, CDATA HTML or (Atom xhtml) child markup.

    An Atom text construct that says ``type="text"`` (or Atom 0.3's ``text/plain``) is plain
    text (RFC 4287 3.1.1.1): ``Apple &lt;AAPL.O&gt; rises`` means the angle brackets, and read
    as HTML the ``<AAPL.O>`` was dropped as a tag."""
    if el is None:
        return ""
    kind = (el.get("type") or "").strip().lower()
    if el.get("mode") == "base64" or (
            "/" in kind and not kind.startswith("text/") and not kind.endswith(("/xml", "+xml"))):
        return _base64_text(el.text or "", kind)
    if kind in ("text", "text/plain") and len(el) == 0:
        return normalise(el.text or "")
    return html_to_text(inner_xml_text(el))


_BINARY_TYPES = ("image/", "audio/", "video/", "application/octet-stream")


def _base64_text(data: str, kind: str) -> str:
    """Atom content that is base64 (Atom 0.3 ``mode="base64"``; in Atom 1.0 any media type
    that is neither text nor XML, RFC 4287 4.1.3.3): its text when it is base64 of UTF-8.
    Otherwise no text for a binary type (an image), and the text as it is for any other
    (``type="application/x-custom"`` on a plain title). Read as text, the base64 itself (or
    a whole encoded image) became the headline or body."""
    try:
        decoded = base64.b64decode("".join(data.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return "" if kind.startswith(_BINARY_TYPES) else html_to_text(data)
    return html_to_text(decoded)


def feed_guid(el: etree._Element, source: str) -> str:
    """guid (RSS) / id (Atom), else the link, else a hash of source + title + text."""
    kids = children(el)
    for name in ("guid", "id"):
        value = plain_text(kids.get(name))
        if value:
            return value[:500]
    href = link(el, kids)
    if href:
        return href[:500]
    return short_hash(source, markup_text(kids.get("title")), body_text(kids))


def link(el: etree._Element, kids: dict[str, etree._Element]) -> str | None:
    for child in el:
        if local(child.tag) != "link":
            continue
        href = child.get("href")
        if href is None:
            return plain_text(child) or None
        if child.get("rel", "alternate") == "alternate":
            return href.strip() or None
    return None


def body_text(kids: dict[str, etree._Element]) -> str:
    for name in ("encoded", "content", "description", "summary"):
        body = markup_text(kids.get(name))
        if body:
            return body
    return ""
