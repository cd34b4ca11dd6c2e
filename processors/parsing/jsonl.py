"""One JSON-lines backfill object: headline/title, body/text, published_at, guid/id, source …"""

from __future__ import annotations

from datetime import tzinfo

from processors.parsing.editorial import status_of, subject_names, urgency_of
from processors.parsing.fields import ItemFields
from schemas.models import InvalidItem
from wirecore.byline import canonical_agencies, places_of
from wirecore.dates import parse_date_field
from wirecore.language import declared_language
from wirecore.text import html_to_text, normalise, short_hash, visible

MAX_SOURCE_CHARS = 200


def _first_str(obj: dict, *keys: str) -> str:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return ""


def parse_jsonl(obj, source: str, tz: tzinfo) -> ItemFields:
    if not isinstance(obj, dict):
        raise InvalidItem(f"JSON line is a {type(obj).__name__}, not an object")
    # the line's own source names the item (its id hashes it): one line of plain text, bounded
    own_source = normalise(_first_str(obj, "source"))[:MAX_SOURCE_CHARS]
    own_source = own_source if visible(own_source) else None
    headline = html_to_text(_first_str(obj, "headline", "title"))
    body = html_to_text(_first_str(obj, "body", "text", "body_text", "content", "summary"))
    guid = _first_str(obj, "guid", "id", "uri") or short_hash(own_source or source, headline, body)
    published = parse_date_field(
        obj.get("published_at") or obj.get("published") or obj.get("date"), tz, "published_at")
    updated = parse_date_field(obj.get("updated_at") or obj.get("updated"), tz, "updated_at")
    dateline = normalise(html_to_text(_first_str(obj, "dateline"))) or None
    agencies = obj.get("agencies")
    agencies = [a for a in agencies if isinstance(a, str)] if isinstance(agencies, list) else []
    revision = obj.get("revision")
    return ItemFields(
        guid=guid.strip()[:500],
        headline=headline,
        body=body,
        published=published,
        updated=updated,
        dateline=dateline,
        places=places_of(dateline) if dateline else [],
        agencies=canonical_agencies(agencies or _first_str(obj, "agency")),
        language=declared_language(obj.get("language")),
        url=_first_str(obj, "url", "link") or None,
        revision=revision if type(revision) is int and 0 <= revision < 1 << 31 else 0,
        source=own_source,
        status=status_of(obj.get("status") or obj.get("pubstatus")),
        embargoed=parse_date_field(obj.get("embargoed_until") or obj.get("embargoed"), tz,
                                   "embargoed"),
        urgency=urgency_of(obj.get("urgency")),
        subjects=subject_names(obj.get("subjects") or obj.get("subject") or obj.get("categories")),
    )
