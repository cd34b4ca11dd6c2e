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
        # The document's DTD is refused (entity expansion, XXE, external DTD): that refusal
        # is a dead letter with the document's bytes; items that use none of its entities
        # are recovered without the DTD, the others are dead-lettered with their bytes.
        result.errors.append((f"document refused: {exc.reason}", data))
        return _salvage(data, ctx, tag, result, refused=declared_entities(data))
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


_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(?:%\s+)?([\w.:-]+)")
_ENTITY_REF = re.compile(rb"[&%]([\w.:-]+);")
_DTD = re.compile(rb"<!DOCTYPE.*?(?:\]\s*>|>)", re.S)


def declared_entities(data: bytes) -> frozenset[bytes]:
    """Names the refused DTD declares; an item that refers to any of them depends on it."""
    return frozenset(_ENTITY_DECL.findall(data))


def item_regions(data: bytes, tag: str) -> list[tuple[int, int | None]]:
    """(start, end) of each top-level ``<tag>`` element, matching nested tags by depth, so an
    item nested hundreds deep is one region (one dead letter), not hundreds. ``end`` is None
    for an item without its closing tag."""
    head = re.compile(rb"<(/?)(?:[\w.-]+:)?" + tag.encode() + rb"(?=[\s>/])")
    regions: list[tuple[int, int | None]] = []
    depth, start, pos = 0, 0, 0
    # the ">" of a tag is found with bytes.find, not by the regex: a regex scanning for it
    # from every "<item " was quadratic (200,000 unclosed "<item " held the producer for minutes)
    while (m := head.search(data, pos)) is not None:
        gt = data.find(b">", m.end())
        if gt < 0:  # no ">" after this tag: no later tag is complete either
            break
        pos = gt + 1
        closing, empty = m.group(1), gt > m.end() and data[gt - 1 : gt] == b"/"
        if closing:
            if depth == 0:
                continue
            depth -= 1
            if depth == 0:
                regions.append((start, pos))
        elif empty:
            if depth == 0:
                regions.append((m.start(), pos))
        else:
            if depth == 0:
                start = m.start()
            depth += 1
    if depth:
        regions.append((start, None))
    return regions


def _salvage(data: bytes, ctx: DocumentContext, tag: str, result: SplitResult,
             refused: frozenset[bytes] | None = None) -> SplitResult:
    """Items of a malformed (or refused) document, each parsed alone inside a wrapper
    carrying the root's xmlns; the DTD, if any, is never used."""
    regions = item_regions(data, tag)
    first = regions[0][0] if regions else min(len(data), 4096)
    head = data[:first]
    cut = head.rfind(b">") + 1  # a DOCTYPE after the last ">" cannot close: keeps _DTD linear
    head = _DTD.sub(b"", head[:cut]) + head[cut:]
    xmlns = b" ".join(sorted({m.group(0).strip() for m in _XMLNS.finditer(head)}))
    lang = None
    m = re.search(rb"<(?:\w+:)?language>\s*([A-Za-z-]{2,10})\s*<", head)
    if m and ctx.fmt != "newsml":
        lang = m.group(1).decode()
    for n, (start, end) in enumerate(regions):
        if end is None:
            limit = regions[n + 1][0] if n + 1 < len(regions) else len(data)
            result.errors.append((f"truncated <{tag}>: no closing tag", data[start:limit]))
            continue
        chunk = data[start:end]
        if refused is not None:
            used = sorted({r.decode("utf-8", "replace") for r in _ENTITY_REF.findall(chunk)} &
                          {e.decode("utf-8", "replace") for e in refused})
            if used or b"<!ENTITY" in chunk or b"<!DOCTYPE" in chunk:
                what = ", ".join(used[:5]) or "a DTD"
                result.errors.append((f"<{tag}> depends on the refused DTD ({what})", chunk))
                continue
        try:
            wrapper = parse_xml(b"<wrapper " + xmlns + b">" + chunk + b"</wrapper>")
        except InvalidItem as exc:
            result.errors.append((f"<{tag}> {exc.reason}", chunk))
            continue
        _emit(wrapper[0], ctx, lang, result)
    if not regions:
        reason = f"malformed {ctx.fmt} document with no <{tag}> elements"
        if refused is None:
            result.errors.append((reason, data))
        else:
            result.notes.append(reason)
    return result
