"""The parse stage as a pure function: one raw item (bytes + meta) -> one ``WireItem``.

``parse_raw_item`` is total: any bytes with any meta give a ``WireItem`` or raise
``InvalidItem(reason)`` (tests/unit/parsing/test_parse_total.py proves it with hypothesis).
The stream processor and ``wirestream parse`` both call it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, tzinfo

import orjson

from processors.parsing.feed import parse_feed_entry
from processors.parsing.fields import ItemFields
from processors.parsing.jsonl import parse_jsonl
from processors.parsing.listing import parse_listing
from processors.parsing.newsml import parse_newsml
from processors.parsing.ninjs import parse_ninjs
from schemas.models import InvalidItem, RawMeta, WireItem
from wirecore.byline import canonical_agencies, parse_byline
from wirecore.dates import check_storable, format_utc, read_fetched_at, source_zone
from wirecore.language import detect_language
from wirecore.text import decode_text, first_sentence, looks_binary, short_hash, visible
from wirecore.xmlsafe import local, parse_xml

__all__ = ["FORMATS", "parse_raw_item", "InvalidItem"]

FORMATS = ("listing", "rss", "atom", "ninjs", "newsml", "jsonl")
log = logging.getLogger(__name__)


def parse_raw_item(
    payload: bytes,
    meta: RawMeta,
    *,
    max_bytes: int = 1 << 20,
    future_tolerance_s: int = 900,
    now: datetime | None = None,
) -> WireItem:
    """Parse one raw item into the normalised record; raise ``InvalidItem(reason)`` if it can't."""
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise InvalidItem(f"payload is {type(payload).__name__}, not bytes")
    payload = bytes(payload)
    if len(payload) > max_bytes:
        raise InvalidItem(f"item of {len(payload)} bytes exceeds max_bytes={max_bytes}")
    if not payload.strip():
        raise InvalidItem("empty item")
    if looks_binary(payload):
        raise InvalidItem("binary data, not a text wire item")
    source = (meta.source or "").strip()
    if not source:
        raise InvalidItem("missing source")
    fetched = read_fetched_at(meta.fetched_at)
    tz = source_zone(source, meta.source_tz)
    fields = _extract(payload, meta.format, source, fetched, tz)
    return _build(fields, meta, source, fetched, future_tolerance_s, now or datetime.now(UTC))


def _extract(payload: bytes, fmt: str, source: str, fetched: datetime, tz: tzinfo) -> ItemFields:
    if fmt == "listing":
        text, fell_back = decode_text(payload)
        if fell_back:
            log.info("listing item from %s is not UTF-8; read with cp1252 fallback", source)
        return parse_listing(text, source, fetched, tz)
    if fmt in ("rss", "atom"):
        root = parse_xml(payload)
        if local(root.tag) not in ("item", "entry"):
            raise InvalidItem(f"{fmt} item is a <{local(root.tag)[:40]}>, not an <item>/<entry>")
        return parse_feed_entry(root, source, tz)
    if fmt == "newsml":
        return parse_newsml(parse_xml(payload), source, tz)
    if fmt in ("ninjs", "jsonl"):
        try:
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            text, fell_back = decode_text(payload)
            if not fell_back:
                raise InvalidItem(f"malformed JSON: {str(exc)[:120]}") from exc
            try:  # a non-UTF-8 line: read it as cp1252 and try again
                obj = orjson.loads(text.encode("utf-8", "surrogatepass"))
            except orjson.JSONDecodeError as exc2:
                raise InvalidItem(f"malformed JSON: {str(exc2)[:120]}") from exc2
        return parse_ninjs(obj, source, tz) if fmt == "ninjs" else parse_jsonl(obj, source, tz)
    raise InvalidItem(f"unknown format: {str(fmt)[:40]!r}")


def _build(
    fields: ItemFields, meta: RawMeta, source: str, fetched: datetime, tolerance_s: int,
    now: datetime,
) -> WireItem:
    body = fields.body
    byline = parse_byline(body)  # cut even when the format has a dateline: it is not body text
    if byline is not None:
        body = body[byline.end :]
        fields.dateline = fields.dateline or byline.dateline
        fields.places = fields.places or byline.places
        fields.agencies = canonical_agencies(fields.agencies + byline.agencies)
    if not visible(body):  # only zero-width, direction or format characters: nothing to read
        body = ""
    headline = fields.headline if visible(fields.headline) else first_sentence(body)
    if not headline:
        raise InvalidItem("empty item: no headline and no body text")
    published = check_storable(fields.published or fetched, "published")
    if published - now > timedelta(seconds=tolerance_s):
        raise InvalidItem(
            f"published_at {format_utc(published)} is beyond the future tolerance "
            f"({tolerance_s} s after {format_utc(now)})")
    source = fields.source or source
    guid = fields.guid or short_hash(source, headline, body)
    return WireItem(
        item_id=short_hash(source, guid),
        guid=guid,
        source=source,
        format=meta.format,
        headline=headline,
        body=body,
        dateline=fields.dateline,
        places=fields.places,
        agencies=fields.agencies,
        language=fields.language or detect_language(body or headline),
        published_at=format_utc(published),
        updated_at=format_utc(fields.updated) if fields.updated is not None else None,
        fetched_at=format_utc(fetched),
        url=fields.url or meta.url,
        revision=fields.revision,
        content_hash=short_hash(headline, body),
        status=fields.status,
        embargoed_until=format_utc(fields.embargoed) if fields.embargoed is not None else None,
        urgency=fields.urgency,
        subjects=fields.subjects,
    )
