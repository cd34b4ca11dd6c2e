"""IPTC NewsML-G2 ``newsItem``: headline, dateline, located, infoSource, dates, bodies, and
the editorial status: ``pubStatus``, ``embargoed``/``embargo``, ``urgency``, ``subject``.

Bodies are ``inlineXML`` (usually XHTML) or ``inlineData`` (text, or escaped HTML).
"""

from __future__ import annotations

from datetime import tzinfo

from lxml import etree

from processors.parsing.editorial import revision_of, status_of, subject_names, urgency_of
from processors.parsing.fields import ItemFields
from schemas.models import InvalidItem
from wirecore.byline import canonical_agencies, places_of
from wirecore.dates import parse_date_field
from wirecore.identity import XML_LANG
from wirecore.language import declared_language
from wirecore.text import html_to_text, normalise, short_hash
from wirecore.xmlsafe import inner_xml_text, local


def _index(root: etree._Element) -> dict[str, list[etree._Element]]:
    """Elements by local name, in document order (one pass over the tree)."""
    index: dict[str, list[etree._Element]] = {}
    for el in root.iter(etree.Element):
        index.setdefault(local(el.tag), []).append(el)
    return index


def _find(root: etree._Element, name: str) -> etree._Element | None:
    for el in root.iter(etree.Element):
        if local(el.tag) == name:
            return el
    return None


def _text(el: etree._Element | None) -> str:
    return normalise("".join(el.itertext())) if el is not None else ""


def _source_name(el: etree._Element) -> str:
    name = _find(el, "name")
    if name is not None and _text(name):
        return _text(name)
    for attr in ("literal", "qcode", "uri"):
        value = el.get(attr)
        if value:
            return value.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return ""


def _subject(el: etree._Element) -> str:
    """A ``<subject>``'s own ``<name>`` (not one of a nested ``<broader>``), else its qcode."""
    for child in el:
        if isinstance(child.tag, str) and local(child.tag) == "name" and _text(child):
            return _text(child)
    return (el.get("qcode") or el.get("literal") or el.get("uri") or "").strip()


def parse_newsml(root: etree._Element, source: str, tz: tzinfo) -> ItemFields:
    if local(root.tag) != "newsItem":
        raise InvalidItem(f"NewsML item is a <{local(root.tag)[:40]}>, not a <newsItem>")
    index = _index(root)

    def first(*names: str) -> etree._Element | None:
        for name in names:
            if name in index:
                return index[name][0]
        return None

    headline = _text(first("headline"))
    body = ""
    for el in index.get("inlineXML", []) + index.get("inlineData", []):
        body = html_to_text(inner_xml_text(el) if local(el.tag) == "inlineXML" else el.text or "")
        if body:
            break
    created = first("firstCreated", "contentCreated")
    published = parse_date_field(created.text if created is not None else None, tz,
                                 "firstCreated")
    version = first("versionCreated")
    updated = parse_date_field(version.text if version is not None else None, tz, "versionCreated")
    dateline = _text(first("dateline")) or None
    located = _text(first("located"))
    places = places_of(dateline or located)
    agencies = canonical_agencies(
        [n for n in (_source_name(el) for el in index.get("infoSource", [])) if n])
    lang_el = first("language")
    language = declared_language(lang_el.get("tag") if lang_el is not None else None)
    version_attr = root.get("version")
    status_el = first("pubStatus")
    embargo = first("embargoed", "embargo")
    subjects = [_subject(el) for el in index.get("subject", [])
                if not any(local(a.tag) == "subject" for a in el.iterancestors())]
    guid = (root.get("guid") or "").strip() or short_hash(source, headline, body)
    return ItemFields(
        guid=guid[:500],
        headline=headline,
        body=body,
        published=published or updated,
        updated=updated if published is not None else None,
        dateline=dateline,
        places=places,
        agencies=agencies,
        language=language or declared_language(root.get(XML_LANG)),
        url=None,
        revision=revision_of(version_attr),
        status=status_of((status_el.get("qcode") or _text(status_el)) if status_el is not None else None),
        embargoed=parse_date_field(_text(embargo) or None, tz, "embargo"),
        urgency=urgency_of(_text(first("urgency"))),
        subjects=subject_names(subjects),
    )
