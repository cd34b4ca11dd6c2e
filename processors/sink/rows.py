"""Pure conversion of topic messages into ClickHouse rows. No client, no I/O.

``rows_for_story_event`` raises ``InvalidItem`` for a message that can never be stored;
the sink isolates it and sends it to the dead-letter topic.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from schemas.models import DeadLetter, InvalidItem

ITEM_COLUMNS = (
    "item_id", "guid", "source", "format", "headline", "body", "dateline", "places", "agencies",
    "language", "published_at", "updated_at", "fetched_at", "url", "revision", "content_hash",
    "story_id", "relation", "raw_at",
)
STORY_COLUMNS = (
    "story_id", "version", "headline", "first_published_at", "last_published_at", "item_count",
    "places", "agencies", "languages", "item_id", "relation",
)
STORY_ITEM_COLUMNS = (
    "story_id", "item_id", "relation", "score", "evidence", "published_at", "headline", "source",
    "story_version",
)
DLQ_COLUMNS = (
    "dlq_topic", "dlq_partition", "dlq_offset", "stage", "reason", "origin_topic",
    "origin_partition", "origin_offset", "original", "headers", "failed_at",
)


def to_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _required_dt(value: str | None, name: str) -> datetime:
    try:
        dt = to_datetime(value)
    except (TypeError, ValueError):
        raise InvalidItem(f"{name} is not an ISO-8601 time: {value!r}") from None
    if dt is None:
        raise InvalidItem(f"{name} is missing")
    return dt


def decode_story_event(value: bytes) -> dict:
    """The story event as a plain dict (the hot path skips dataclass construction; the
    shape is the StoryEvent schema, checked by the field accesses in rows_for_story_event)."""
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidItem(f"undecodable story event: {exc}") from None
    if not isinstance(event, dict) or not isinstance(event.get("item"), dict) or not isinstance(
            event.get("story"), dict):
        raise InvalidItem("story event lacks its item or story object")
    return event


def rows_for_story_event(event: dict) -> dict[str, list[list]]:
    """Rows per table for one story event. A redelivered item yields no rows at all."""
    if event.get("redelivery"):
        return {}
    try:
        return _rows(event, event["item"], event["story"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidItem(f"story event is missing or has a bad field: {type(exc).__name__}: {exc}") from None


def _rows(event: dict, it: dict, st: dict) -> dict[str, list[list]]:
    published = _required_dt(it["published_at"], "published_at")
    raw_ms = event.get("raw_timestamp_ms")
    raw_at = datetime.fromtimestamp(raw_ms / 1000, UTC) if raw_ms else None
    relation = event["relation"]
    out: dict[str, list[list]] = {
        "items": [[
            it["item_id"], it["guid"], it["source"], it["format"], it["headline"], it["body"],
            it["dateline"], it["places"], it["agencies"], it["language"], published,
            to_datetime(it["updated_at"]), _required_dt(it["fetched_at"], "fetched_at"), it["url"],
            int(it["revision"]), it["content_hash"], event["story_id"], relation, raw_at,
        ]],
        "story_items": [[
            event["story_id"], it["item_id"], relation, float(event["score"]),
            orjson.dumps(event.get("evidence") or {}).decode(), published, it["headline"], it["source"],
            int(st["version"]),
        ]],
    }
    if relation != "duplicate":  # a duplicate does not make a new story version
        out["stories"] = [[
            st["story_id"], int(st["version"]), st["headline"],
            _required_dt(st["first_published_at"], "first_published_at"),
            _required_dt(st["last_published_at"], "last_published_at"), int(st["item_count"]),
            st["places"], st["agencies"], st["languages"], it["item_id"], relation,
        ]]
    return out


def rows_for_dead_letter(value: bytes, topic: str, partition: int, offset: int) -> dict[str, list[list]]:
    """A dead letter is stored even when its own JSON is damaged: reason says so."""
    try:
        dl = DeadLetter.from_dict(orjson.loads(value))
        failed_at = to_datetime(dl.failed_at) if dl.failed_at else datetime.now(UTC)
        row = [
            topic, partition, offset, dl.stage, dl.reason, dl.origin_topic, dl.origin_partition,
            dl.origin_offset, dl.to_dict()["original"], {k: str(v) for k, v in dl.headers.items()},
            failed_at,
        ]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        import base64

        row = [
            topic, partition, offset, "sink", f"undecodable dead letter: {exc}", None, None, None,
            base64.b64encode(value).decode(), {}, datetime.now(UTC),
        ]
    return {"dlq": [row]}


COLUMNS = {
    "items": ITEM_COLUMNS,
    "stories": STORY_COLUMNS,
    "story_items": STORY_ITEM_COLUMNS,
    "dlq": DLQ_COLUMNS,
}
