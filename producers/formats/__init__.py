"""Split one fetched document into raw items for ``wire.raw``.

``detect_format`` names the format; ``split_document`` cuts the document into per-item bytes
kept as close to the original as possible (a listing item's text slice with its age label,
an RSS ``<item>``, a ninjs object, a NewsML ``newsItem``, a JSON line). ``RawItem.key`` is
the item's stable id (its guid, else a hash of source + normalised text), so fetching the
same page twice gives the same keys. A part that cannot be split is an error for that part
alone.
"""

from __future__ import annotations

from producers.formats.base import DocumentContext, SplitResult
from producers.formats.detect import detect_format
from producers.formats.jsondocs import split_jsonl, split_ninjs
from producers.formats.listing import split_listing
from producers.formats.xmlfeeds import split_xml
from schemas.models import InvalidItem

__all__ = ["FORMATS", "SplitResult", "detect_format", "split_document"]

_SPLITTERS = {
    "listing": split_listing, "rss": split_xml, "atom": split_xml, "newsml": split_xml,
    "ninjs": split_ninjs, "jsonl": split_jsonl,
}
FORMATS = tuple(_SPLITTERS)


def split_document(
    data: bytes,
    fmt: str | None,
    *,
    source: str,
    fetched_at: str,
    url: str | None = None,
    content_type: str | None = None,
    source_tz: str | None = None,
    first_line: int = 1,
) -> SplitResult:
    """One document -> its raw items; ``fmt=None`` detects the format from the bytes."""
    if not data or not data.strip():
        return SplitResult(errors=[("empty document", bytes(data or b""))])
    if fmt is None:
        try:
            fmt = detect_format(data, filename=url, content_type=content_type)
        except InvalidItem as exc:
            return SplitResult(errors=[(exc.reason, data)])
    splitter = _SPLITTERS.get(fmt)
    if splitter is None:
        return SplitResult(errors=[(f"unknown format: {fmt[:40]!r}", data)])
    ctx = DocumentContext(source, fmt, fetched_at, url, content_type, source_tz, first_line)
    return splitter(data, ctx)
