"""Pure conversion of topic messages into ClickHouse rows (dicts, inserted as JSONEachRow).
No client, no I/O.

JSONEachRow because the story event already *is* JSON: the item's fields go in as they are
(unknown keys skipped by the server, ISO times parsed by ``best_effort``), which avoids
building Python datetimes and column blocks per row. ``rows_for_story_event`` raises
``InvalidItem`` for a message that can never be stored; the sink sends it to the DLQ.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson

from schemas.models import DeadLetter, InvalidItem

ITEM_COLUMNS = (
    "item_id", "guid", "source", "format", "headline", "body", "dateline", "places", "agencies",
    "language", "published_at", "updated_at", "fetched_at", "url", "revision", "content_hash",
    "story_id", "relation", "raw_at", "status", "embargoed_until", "urgency", "subjects",
)
STORY_COLUMNS = (
    "story_id", "version", "headline", "first_published_at", "last_published_at", "item_count",
    "places", "agencies", "languages", "item_id", "relation", "status", "embargoed_until",
)
# the timeline carries what it shows (no join over all items when reading one story)
TIMELINE_ITEM_FIELDS = (
    "content_hash", "revision", "dateline", "agencies", "places", "language", "body", "url",
    "status", "embargoed_until", "urgency", "subjects",
)
STORY_ITEM_COLUMNS = (
    "story_id", "item_id", "relation", "score", "evidence", "published_at", "headline", "source",
    "story_version", *TIMELINE_ITEM_FIELDS,
)
MERGE_COLUMNS = ("merged_id", "into_id", "item_id", "at")
DLQ_COLUMNS = (
    "dlq_topic", "dlq_partition", "dlq_offset", "stage", "reason", "origin_topic",
    "origin_partition", "origin_offset", "original", "headers", "failed_at",
)
COLUMNS = {
    "items": ITEM_COLUMNS, "stories": STORY_COLUMNS, "story_items": STORY_ITEM_COLUMNS,
    "story_merges": MERGE_COLUMNS, "dlq": DLQ_COLUMNS,
}


def to_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    dt = datetime.fromisoformat(value)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def _check_time(value, name: str, required: bool = True) -> None:
    """Refuse here what the server would refuse later (cheaper than splitting a batch)."""
    if value is None and not required:
        return
    try:
        if to_datetime(value) is None:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidItem(f"{name} is not an ISO-8601 time: {value!r}") from None


def decode_story_event(value: bytes) -> dict:
    """The story event as a plain dict (shape: schemas/json/story_event.schema.json)."""
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidItem(f"undecodable story event: {exc}") from None
    if not isinstance(event, dict) or not isinstance(event.get("item"), dict) or not isinstance(
            event.get("story"), dict):
        raise InvalidItem("story event lacks its item or story object")
    return event


def rows_for_story_event(event: dict) -> dict[str, list[dict]]:
    """Rows per table for one story event. A redelivered item yields no rows at all."""
    if event.get("redelivery"):
        return {}
    try:
        return _rows(event, event["item"], event["story"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidItem(f"story event is missing or has a bad field: {type(exc).__name__}: {exc}") from None


def _rows(event: dict, it: dict, st: dict) -> dict[str, list[dict]]:
    for name in ("published_at", "fetched_at"):
        _check_time(it[name], name)
    for name in ("updated_at", "embargoed_until"):
        _check_time(it.get(name), name, required=False)
    for name in ("first_published_at", "last_published_at"):
        _check_time(st[name], name)
    story_id, relation, item_id = event["story_id"], event["relation"], it["item_id"]
    raw_ms = event.get("raw_timestamp_ms")
    out: dict[str, list[dict]] = {
        "items": [it | {"story_id": story_id, "relation": relation,
                        "raw_at": round(raw_ms / 1000, 3) if raw_ms else None}],
        "story_items": [{
            "story_id": story_id, "item_id": item_id, "relation": relation, "score": float(event["score"]),
            "evidence": orjson.dumps(event.get("evidence") or {}).decode(),
            "published_at": it["published_at"], "headline": it["headline"], "source": it["source"],
            "story_version": int(st["version"]),
        } | {name: it.get(name) for name in TIMELINE_ITEM_FIELDS}],
    }
    if relation != "duplicate":  # a duplicate does not make a new story version
        # the version carries its item's editorial status: live views hold it while the item is held
        version = st | {"item_id": item_id, "relation": relation,
                        "status": it.get("status") or "usable", "embargoed_until": it.get("embargoed_until")}
        out["stories"] = [version]  # stories_current (latest state) follows by materialized view
    merged = event.get("merged_from") or []
    if merged:
        out["story_merges"] = [{"merged_id": str(m), "into_id": story_id, "item_id": item_id,
                                "at": it["published_at"]} for m in merged if m != story_id]
    return out


def rows_for_dead_letter(value: bytes, topic: str, partition: int, offset: int) -> dict[str, list[dict]]:
    """A dead letter is stored even when its own JSON is damaged: the reason says so."""
    base = {"dlq_topic": topic, "dlq_partition": partition, "dlq_offset": offset}
    try:
        dl = DeadLetter.from_dict(orjson.loads(value))
        failed_at = dl.failed_at or datetime.now(UTC).isoformat()
        _check_time(failed_at, "failed_at")
        row = base | {
            "stage": dl.stage, "reason": dl.reason, "origin_topic": dl.origin_topic,
            "origin_partition": dl.origin_partition, "origin_offset": dl.origin_offset,
            "original": base64.b64encode(dl.original).decode(),
            "headers": {str(k): str(v) for k, v in dl.headers.items()}, "failed_at": failed_at,
        }
    except (orjson.JSONDecodeError, InvalidItem, KeyError, TypeError, ValueError) as exc:
        row = base | {
            "stage": "sink", "reason": f"undecodable dead letter: {exc}", "origin_topic": None,
            "origin_partition": None, "origin_offset": None,
            "original": base64.b64encode(value).decode(), "headers": {},
            "failed_at": datetime.now(UTC).isoformat(),
        }
    return {"dlq": [row]}
