"""RSS 2.0 / RSS 1.0 ``<item>`` and Atom ``<entry>`` elements (``category`` / ``dc:subject``
become subjects).

Children are matched by local name so that default namespaces (RSS 1.0, Atom) and prefixes
(``dc:date``, ``content:encoded``) all read the same; HTML in descriptions is stripped.
"""

from __future__ import annotations

from datetime import tzinfo

from lxml import etree

from processors.parsing.editorial import subject_names
from processors.parsing.fields import ItemFields
from wirecore.byline import canonical_agencies
from wirecore.dates import parse_date_field
from wirecore.identity import XML_LANG, body_text, children, feed_guid, link, markup_text, plain_text
from wirecore.language import declared_language
from wirecore.xmlsafe import local


def categories(el: etree._Element) -> list[str]:
    """RSS ``<category>`` text, Atom ``<category term label>``, ``dc:subject``: as given."""
    names = []
    for child in el:
        if isinstance(child.tag, str) and local(child.tag) in ("category", "subject"):
            names.append(child.get("label") or child.get("term") or plain_text(child))
    return subject_names(names)


def parse_feed_entry(el: etree._Element, source: str, tz: tzinfo) -> ItemFields:
    kids = children(el)
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
    names = [plain_text(kids.get("source")), plain_text(kids.get("creator"))]
    author = kids.get("author")
    if author is not None:
        names.append(plain_text(children(author).get("name")) or plain_text(author))
    language = declared_language(el.get(XML_LANG)) or declared_language(plain_text(kids.get("language")))
    return ItemFields(
        guid=feed_guid(el, source),
        headline=markup_text(kids.get("title")),
        body=body_text(kids),
        published=published or updated,
        updated=updated if published is not None else None,
        agencies=canonical_agencies(n for n in names if n),  # known agencies only: a creator is a person
        language=language,
        url=link(el, kids),
        subjects=categories(el),
    )
