"""Split RSS / Atom feeds and NewsML-G2 documents into one serialised element per item.

Each ``<item>`` / ``<entry>`` / ``<newsItem>`` is serialised on its own with the namespace
declarations it uses, and inherits the channel's language as ``xml:lang``. A malformed
document (truncated download, one broken item) is cut into items by their tags and each is
parsed alone, so one bad item does not lose the others.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from producers.formats.base import DocumentContext, SplitResult
from schemas.models import InvalidItem
from wirecore.identity import XML_LANG, feed_guid
from wirecore.language import declared_language
from wirecore.text import short_hash
from wirecore.xmlsafe import check_xml_bytes, local, parse_xml

ITEM_TAG = {"rss": "item", "atom": "entry", "newsml": "newsItem"}
_XMLNS = re.compile(rb"""\sxmlns(?::[\w.-]+)?\s*=\s*(["'])[^"']*\1""")


def _item_key(el: etree._Element, fmt: str, source: str) -> str:
    if fmt == "newsml":
        guid = (el.get("guid") or "").strip()
        text = etree.tostring(el, method="text", encoding="unicode")
        return guid[:500] or short_hash(source, text)
    return feed_guid(el, source)


def _serialise(el: etree._Element, lang: str | None) -> bytes:
    el = copy.deepcopy(el)
    el.tail = None
    if lang and el.get(XML_LANG) is None:
        el.set(XML_LANG, lang)
    etree.cleanup_namespaces(el)
    return etree.tostring(el, encoding="utf-8")


def _channel_language(root: etree._Element) -> str | None:
    lang = root.get(XML_LANG)
    for el in root.iter():
        if local(el.tag) in ("item", "entry"):
            break
        if local(el.tag) == "language" and el.text:
            lang = el.text.strip()
            break
        if el.get(XML_LANG):
            lang = el.get(XML_LANG)
    return lang if declared_language(lang) else None


def _emit(el: etree._Element, ctx: DocumentContext, lang: str | None, result: SplitResult) -> None:
    result.items.append(ctx.item(_item_key(el, ctx.fmt, ctx.source), _serialise(el, lang)))


def split_xml(data: bytes, ctx: DocumentContext) -> SplitResult:
    result = SplitResult()
    tag = ITEM_TAG[ctx.fmt]
    try:
        check_xml_bytes(data)
    except InvalidItem as exc:
        result.errors.append((exc.reason, data))
        return result
    try:
        root = parse_xml(data)
    except InvalidItem as exc:
        result.notes.append(f"{exc.reason}; items cut out one by one")
        return _salvage(data, ctx, tag, result)
    lang = _channel_language(root) if ctx.fmt != "newsml" else None
    found = [root] if local(root.tag) == tag else [e for e in root.iter() if local(e.tag) == tag]
    for el in found:
        _emit(el, ctx, lang, result)
    if not found:
        result.errors.append((f"{ctx.fmt} document has no <{tag}> elements", data[:4096]))
    return result


def _salvage(data: bytes, ctx: DocumentContext, tag: str, result: SplitResult) -> SplitResult:
    """Items of a malformed document, each parsed inside a wrapper carrying the root's xmlns."""
    open_re = re.compile(rb"<(?:[\w.-]+:)?" + tag.encode() + rb"[\s>/]")
    close_re = re.compile(rb"</(?:[\w.-]+:)?" + tag.encode() + rb"\s*>")
    starts = [m.start() for m in open_re.finditer(data)]
    head = data[: starts[0]] if starts else data[:4096]
    xmlns = b" ".join(sorted({m.group(0).strip() for m in _XMLNS.finditer(head)}))
    lang = None
    m = re.search(rb"<(?:\w+:)?language>\s*([A-Za-z-]{2,10})\s*<", head)
    if m and ctx.fmt != "newsml":
        lang = m.group(1).decode()
    for i, start in enumerate(starts):
        limit = starts[i + 1] if i + 1 < len(starts) else len(data)
        close = close_re.search(data, start, limit)
        chunk = data[start : close.end()] if close else data[start:limit]
        if close is None:
            result.errors.append((f"truncated <{tag}>: no closing tag", chunk))
            continue
        try:
            wrapper = parse_xml(b"<wrapper " + xmlns + b">" + chunk + b"</wrapper>")
        except InvalidItem as exc:
            result.errors.append((f"<{tag}> {exc.reason}", chunk))
            continue
        _emit(wrapper[0], ctx, lang, result)
    if not starts:
        result.errors.append((f"malformed {ctx.fmt} document with no <{tag}> elements", data))
    return result
