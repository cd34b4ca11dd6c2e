"""Publication order for a listing page's items.

Listing pages show the newest item first; a live wire delivered them oldest first. Items
are published to ``wire.raw`` in the order they appeared on the wire, so downstream (story
grouping, dashboards) sees the story unfold as it did. Other formats keep document order.
"""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.models import RawItem
from wirecore.dates import resolve_label, source_zone
from wirecore.identity import split_label


def _published(item: RawItem) -> datetime | None:
    try:
        fetched = datetime.fromisoformat(item.meta.fetched_at)
    except (TypeError, ValueError):
        return None
    fetched = fetched if fetched.tzinfo else fetched.replace(tzinfo=UTC)
    label, _ = split_label(item.payload.decode("utf-8", "replace"))
    if not label:
        return fetched  # unlabelled (a lead article): as new as the fetch
    try:
        return resolve_label(label, fetched, source_zone(item.meta.source, item.meta.source_tz))
    except Exception:  # noqa: BLE001 - ordering only: the parser reports a bad label itself
        return None


def publication_order(items: list[RawItem]) -> list[RawItem]:
    """Listing items sorted oldest first (stable); anything else unchanged."""
    if not items or any(i.meta.format != "listing" for i in items):
        return list(items)
    keyed = [(_published(i), n, i) for n, i in enumerate(items)]
    if any(t is None for t, _, _ in keyed):
        return list(items)
    return [i for _, _, i in sorted(keyed, key=lambda k: (k[0], k[1]))]
