"""Publication order: every document's items go to ``wire.raw`` oldest first.

Feeds and listing pages show the newest item first; a live wire delivered them oldest first.
Items are published in event-time order (published time, then position in the document), so
downstream (story grouping, dashboards) sees a story unfold as it did, whatever the format.
An item whose time cannot be read here counts as fetched now (a listing's unlabelled lead,
an RSS item without ``pubDate``); the parser reports a bad date itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import orjson

from schemas.models import InvalidItem, RawItem
from wirecore.dates import parse_date_field, resolve_label, source_zone
from wirecore.identity import split_label
from wirecore.xmlsafe import local, parse_xml

_XML_TIME = {
    "rss": ("pubDate", "published", "date", "issued", "created", "updated", "modified"),
    "atom": ("published", "issued", "created", "updated", "modified", "date"),
    "newsml": ("firstCreated", "contentCreated", "versionCreated"),
}
_JSON_TIME = {
    "ninjs": ("firstcreated", "contentcreated", "versioncreated"),
    "jsonl": ("published_at", "published", "date", "updated_at", "updated"),
}


def _fetched(item: RawItem) -> datetime:
    try:
        fetched = datetime.fromisoformat(item.meta.fetched_at.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        return datetime.now(UTC)
    return fetched if fetched.tzinfo else fetched.replace(tzinfo=UTC)


def _listing_time(item: RawItem, fetched: datetime, tz: tzinfo) -> datetime | None:
    label, _ = split_label(item.payload.decode("utf-8", "replace"))
    return resolve_label(label, fetched, tz) if label else fetched


def _xml_time(item: RawItem, tz: tzinfo) -> datetime | None:
    names = _XML_TIME[item.meta.format]
    found: dict[str, str] = {}
    for el in parse_xml(item.payload).iter():
        name = local(el.tag)
        if name in names and name not in found and el.text and el.text.strip():
            found[name] = el.text
    for name in names:
        if name in found:
            return parse_date_field(found[name], tz, name)
    return None


def _json_time(item: RawItem, tz: tzinfo) -> datetime | None:
    obj = orjson.loads(item.payload)
    if not isinstance(obj, dict):
        return None
    for name in _JSON_TIME[item.meta.format]:
        if obj.get(name) not in (None, ""):
            return parse_date_field(obj[name], tz, name)
    return None


def event_time(item: RawItem) -> datetime:
    """When the item happened on the wire, as far as the raw bytes say; else the fetch time."""
    fetched = _fetched(item)
    fmt = item.meta.format
    try:
        tz = source_zone(item.meta.source, item.meta.source_tz)
        if fmt == "listing":
            when = _listing_time(item, fetched, tz)
        elif fmt in _XML_TIME:
            when = _xml_time(item, tz)
        elif fmt in _JSON_TIME:
            when = _json_time(item, tz)
        else:
            when = None
    except (InvalidItem, ValueError, OverflowError, orjson.JSONDecodeError):
        when = None  # ordering only: the parser dead-letters a bad date with its reason
    when = when or fetched
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def publication_order(items: list[RawItem]) -> list[RawItem]:
    """Items sorted oldest first; equal times keep their document order (stable)."""
    keyed = [(event_time(i), n, i) for n, i in enumerate(items)]
    return [i for _, _, i in sorted(keyed, key=lambda k: (k[0], k[1]))]
