"""RSS 2.0 / RSS 1.0 ``<item>`` and Atom ``<entry>`` elements.

Children are matched by local name so that default namespaces (RSS 1.0, Atom) and prefixes
(``dc:date``, ``content:encoded``) all read the same; HTML in descriptions is stripped.
"""

from __future__ import annotations

from datetime import tzinfo

from lxml import etree

from processors.parsing.byline import AGENCY_CODES, canonical_agencies
from processors.parsing.dates import parse_date_field
from processors.parsing.fields import ItemFields
from processors.parsing.language import declared_language
from processors.parsing.text import html_to_text, normalise, short_hash
from processors.parsing.xmlsafe import inner_xml_text, local

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _children(el: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for child in el:
        name = local(child.tag)
        if name and name not in found:
            found[name] = child
    return found


def _text(el: etree._Element | None) -> str:
    return normalise(el.text or "") if el is not None else ""


def _markup_text(el: etree._Element | None) -> str:
    """Text of an element that may hold escaped HTML, CDATA HTML or (Atom xhtml) child markup."""
    if el is None:
        return ""
    return html_to_text(inner_xml_text(el))


def known_agencies(names: list[str]) -> list[str]:
    """Only names that are agencies (a ``dc:creator`` is usually a person)."""
    return canonical_agencies(
        n for n in names if " ".join(n.split()).upper().strip(" .") in AGENCY_CODES)


def feed_guid(el: etree._Element, source: str) -> str:
    """guid (RSS) / id (Atom), else the link, else a hash of source + title + text."""
    kids = _children(el)
    for name in ("guid", "id"):
        value = _text(kids.get(name))
        if value:
            return value[:500]
    link = _link(el, kids)
    if link:
        return link[:500]
    return short_hash(source, _markup_text(kids.get("title")), _body(kids))


def _link(el: etree._Element, kids: dict[str, etree._Element]) -> str | None:
    for child in el:
        if local(child.tag) != "link":
            continue
        href = child.get("href")
        if href is None:
            return _text(child) or None
        if child.get("rel", "alternate") == "alternate":
            return href.strip() or None
    return None


def _body(kids: dict[str, etree._Element]) -> str:
    for name in ("encoded", "content", "description", "summary"):
        body = _markup_text(kids.get(name))
        if body:
            return body
    return ""


def parse_feed_entry(el: etree._Element, source: str, tz: tzinfo) -> ItemFields:
    kids = _children(el)
    published = None
    for name in ("pubDate", "published", "date", "issued", "created"):
        if name in kids:
            published = parse_date_field(kids[name].text, tz, name)
            if published is not None:
                break
    updated = None
    for name in ("updated", "modified"):
        if name in kids:
            updated = parse_date_field(kids[name].text, tz, name)
            if updated is not None:
                break
    names = [_text(kids.get("source")), _text(kids.get("creator"))]
    author = kids.get("author")
    if author is not None:
        names.append(_text(_children(author).get("name")) or _text(author))
    language = declared_language(el.get(XML_LANG)) or declared_language(_text(kids.get("language")))
    return ItemFields(
        guid=feed_guid(el, source),
        headline=_markup_text(kids.get("title")),
        body=_body(kids),
        published=published or updated,
        updated=updated if published is not None else None,
        agencies=known_agencies([n for n in names if n]),
        language=language,
        url=_link(el, kids),
    )
