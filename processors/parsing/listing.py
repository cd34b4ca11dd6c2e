"""One item of a listing page: text with an optional age label on its first or last line.

Shapes (see producers/formats/listing.py, which cuts them out of a page):
  feed item   ``DATELINE (AGENCY/AGENCY) - text`` + ``\\n14 minuten geleden`` (or label first)
  lead        ``headline line`` + ``\\n`` + paragraphs, no label (published = fetched_at)
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from processors.parsing.byline import parse_byline
from processors.parsing.dates import match_label, resolve_label
from processors.parsing.fields import ItemFields
from processors.parsing.text import first_sentence, normalise, short_hash


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


def parse_listing(text: str, source: str, fetched: datetime, tz: tzinfo) -> ItemFields:
    label, content = split_label(text)
    published = resolve_label(label, fetched, tz) if label else fetched
    lines = [line.strip() for line in content.splitlines() if line.strip()]
    guid = item_guid(source, content)
    if not lines:
        return ItemFields(guid=guid, headline="", body="", published=published)
    headline = ""
    if parse_byline(lines[0]) is None and len(lines) > 1:
        headline, lines = normalise(lines[0]), lines[1:]
    body = normalise(" ".join(lines))
    fields = ItemFields(guid=guid, headline=headline, body=body, published=published)
    byline = parse_byline(body)
    if byline is not None:
        fields.dateline, fields.places, fields.agencies = (
            byline.dateline, byline.places, byline.agencies)
        fields.body = body[byline.end :]
    if not fields.headline:
        fields.headline = first_sentence(fields.body)
    return fields
