"""IPTC ninjs 1.x (``headline``, ``body_text``/``body_html``/``body_xhtml``, ``located``,
``infosource``, ``subject``) and 2.x (``headlines``/``bodies`` lists of
``{role, contenttype, value}``, ``infosources``, ``subjects``); both carry ``pubstatus``,
``embargoed`` and ``urgency``. ninjs 3.x has the 2.x structure with camelCase names
(``firstCreated``, ``versionCreated``, ``pubStatus``, ``contentType``, ``infoSources``,
``embargoedUntil``): every object is read through ``_folded`` so one reading serves all."""

from __future__ import annotations

from datetime import tzinfo

from processors.parsing.editorial import revision_of, status_of, subject_names, urgency_of
from processors.parsing.fields import ItemFields
from schemas.models import InvalidItem
from wirecore.byline import canonical_agencies, places_of
from wirecore.dates import parse_date_field
from wirecore.language import declared_language
from wirecore.text import html_to_text, normalise, short_hash


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def _folded(obj: dict) -> dict:
    """``obj`` with a lower-case alias of every key (an exact lower-case key wins): ninjs 3.x
    renamed ``pubstatus`` to ``pubStatus`` and so on, and read by the 2.x names its dates,
    status and content types were lost (published = fetched time, a withheld item usable,
    HTML bodies kept as markup)."""
    folded = dict(obj)
    for key, value in obj.items():
        folded.setdefault(key.lower(), value)
    return folded


def _is_plain(entry: dict) -> bool:
    """An entry whose content type is absent or ``text/plain``; any other (HTML, XHTML, NITF)
    is markup to be read as text."""
    kind = _str(entry.get("contenttype")).strip().lower()
    return not kind or kind.startswith("text/plain")


def _pick(entries, *, prefer_plain: bool) -> str:
    """Value of the main entry of a ninjs 2.x/3.x ``headlines``/``bodies`` list."""
    if not isinstance(entries, list):
        return ""
    good = [_folded(e) for e in entries if isinstance(e, dict) and isinstance(e.get("value"), str)]
    if not good:
        return ""
    mains = [e for e in good if e.get("role") in (None, "main", "body", "text", "html")] or good
    if prefer_plain:
        plain = [e for e in mains if _is_plain(e)]
        if plain:
            return normalise(plain[0]["value"])
    return html_to_text(mains[0]["value"])


def _names(value) -> list[str]:
    """``infosource``/``infosources``: a string, an object with ``name``, or a list of those."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            name = item.get("name") or item.get("uri")
            if isinstance(name, str):
                names.append(name)
    return names


def _located(value) -> str | None:
    if isinstance(value, str):
        return normalise(value) or None
    if isinstance(value, dict):
        return _located(value.get("name"))
    if isinstance(value, list) and value:
        return _located(value[0])
    return None


def parse_ninjs(obj, source: str, tz: tzinfo) -> ItemFields:
    if not isinstance(obj, dict):
        raise InvalidItem(f"ninjs item is a JSON {type(obj).__name__}, not an object")
    obj = _folded(obj)
    headline = normalise(_str(obj.get("headline")))
    headline = headline or _pick(obj.get("headlines"), prefer_plain=True)
    body = (
        normalise(_str(obj.get("body_text")))
        or html_to_text(_str(obj.get("body_html")))
        or html_to_text(_str(obj.get("body_xhtml")))
        or _pick(obj.get("bodies"), prefer_plain=True)
        or normalise(_str(obj.get("description_text")))
        or _pick(obj.get("descriptions"), prefer_plain=True)
    )
    first = parse_date_field(obj.get("firstcreated") or obj.get("contentcreated"), tz,
                             "firstcreated")
    version_created = parse_date_field(obj.get("versioncreated"), tz, "versioncreated")
    dateline = _located(obj.get("located"))
    guid = _str(obj.get("uri")) or _str(obj.get("guid")) or short_hash(source, headline, body)
    return ItemFields(
        guid=guid[:500],
        headline=headline,
        body=body,
        published=first or version_created,
        updated=version_created if first is not None else None,
        dateline=dateline,
        places=places_of(dateline) if dateline else [],
        agencies=canonical_agencies(_names(obj.get("infosource") or obj.get("infosources"))),
        language=declared_language(obj.get("language")),
        url=_str(obj.get("url")) or None,
        revision=revision_of(obj.get("version")),
        status=status_of(obj.get("pubstatus")),
        embargoed=parse_date_field(obj.get("embargoed") or obj.get("embargoeduntil"), tz,
                                   "embargoed"),
        urgency=urgency_of(obj.get("urgency")),
        subjects=subject_names(obj.get("subjects") if "subjects" in obj else obj.get("subject")),
    )
