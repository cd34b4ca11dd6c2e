"""One item of a listing page: text with an optional age label on its first or last line.

Shapes (see producers/formats/listing.py, which cuts them out of a page):
  feed item   ``DATELINE (AGENCY/AGENCY) - text`` + ``\\n14 minuten geleden`` (or label first)
  lead        ``headline line`` + ``\\n`` + paragraphs, no label (published = fetched_at)
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from processors.parsing.fields import ItemFields
from wirecore.byline import parse_byline
from wirecore.dates import resolve_label
from wirecore.identity import item_guid, split_label
from wirecore.text import first_sentence, normalise


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
