"""Typed messages for every topic. Field names and types match schemas/json/*.schema.json;
tests/unit/test_schemas.py checks each model against its schema so they cannot drift.

Dataclasses rather than pydantic here because these sit on the hot path (tens of thousands
of items per second per core) and only need to/from plain dicts for orjson.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import orjson


class InvalidItem(Exception):  # noqa: N818 - a domain noun, as in arroyo/snuba
    """Input that can never be processed (poison). Goes to the dead-letter topic, never retried."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@functools.cache
def _field_names(cls) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


def _from_dict(cls, data: dict[str, Any]):
    names = _field_names(cls)
    if names.issuperset(data):
        return cls(**data)
    return cls(**{k: v for k, v in data.items() if k in names})


def decode_headers(headers: list[tuple[str | bytes, bytes | str | None]] | dict | None) -> dict[str, str]:
    """Kafka headers (a list of pairs from confluent-kafka, or a dict) as text: the one decoding
    of header bytes every stage uses (invalid UTF-8 is replaced, never raised)."""
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    out: dict[str, str] = {}
    for k, v in items:
        name = k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k)
        out[name] = v.decode("utf-8", "replace") if isinstance(v, bytes) else ("" if v is None else str(v))
    return out


@dataclass(slots=True)
class RawMeta:
    """What a producer knows about a raw item besides its bytes; travels as Kafka headers."""

    source: str
    format: str
    fetched_at: str  # ISO-8601 with offset
    url: str | None = None
    content_type: str | None = None
    source_tz: str | None = None  # IANA zone used to read local times ("Europe/Amsterdam")

    def to_headers(self) -> list[tuple[str, bytes]]:
        return [(k, str(v).encode()) for k, v in asdict(self).items() if v is not None]

    @classmethod
    def from_headers(cls, headers: list[tuple[str, bytes]] | dict | None) -> RawMeta:
        data = decode_headers(headers)
        for required in ("source", "format", "fetched_at"):
            if not data.get(required):
                raise InvalidItem(f"missing header {required!r}")
        return _from_dict(cls, data)


@dataclass(slots=True)
class RawItem:
    """One item as fetched: the untouched bytes plus metadata. Key = a stable id of the item."""

    key: str
    payload: bytes
    meta: RawMeta


@dataclass(slots=True)
class WireItem:
    """One normalised wire item (topic ``wire.items``)."""

    item_id: str
    guid: str
    source: str
    format: str
    headline: str
    body: str
    dateline: str | None
    places: list[str]
    agencies: list[str]
    language: str | None
    published_at: str  # ISO-8601 UTC, "Z"
    updated_at: str | None
    fetched_at: str
    url: str | None
    revision: int
    content_hash: str
    status: str = "usable"  # usable | withdrawn | canceled (editorial status; see schema)
    embargoed_until: str | None = None  # ISO-8601 UTC; hold from live views until then
    urgency: int | None = None  # IPTC 1 (flash) .. 9
    subjects: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WireItem:
        return _from_dict(cls, data)


@dataclass(slots=True)
class StorySnapshot:
    """A story as it stands after one accepted item (one row of ``stories`` per version)."""

    story_id: str
    version: int
    headline: str
    first_published_at: str
    last_published_at: str
    item_count: int
    places: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StoryEvent:
    """One decision of the story engine about one item (topic ``wire.stories``)."""

    item: WireItem
    story_id: str
    relation: str  # new | update | revision | duplicate
    score: float
    evidence: dict[str, Any]
    story: StorySnapshot
    raw_timestamp_ms: int | None = None  # Kafka timestamp of the raw item: end-to-end freshness
    redelivery: bool = False  # this very item_id+content went through before: store nothing new
    merged_from: list[str] = field(default_factory=list)  # story ids merged into story_id now
    demoted: list[str] = field(default_factory=list)  # item ids no longer the opener (now updates)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoryEvent:
        return cls(
            item=WireItem.from_dict(data["item"]),
            story_id=data["story_id"],
            relation=data["relation"],
            score=float(data["score"]),
            evidence=data.get("evidence") or {},
            story=_from_dict(StorySnapshot, data["story"]),
            raw_timestamp_ms=data.get("raw_timestamp_ms"),
            redelivery=bool(data.get("redelivery", False)),
            merged_from=list(data.get("merged_from") or []),
            demoted=list(data.get("demoted") or []),
        )


@dataclass(slots=True)
class DeadLetter:
    """Anything a stage could not process (topic ``wire.dlq``): reason plus the original bytes."""

    stage: str
    reason: str
    origin_topic: str | None
    origin_partition: int | None
    origin_offset: int | None
    original: bytes
    original_key: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    failed_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["original"] = base64.b64encode(self.original).decode()
        d["original_key"] = (
            base64.b64encode(self.original_key).decode() if self.original_key is not None else None
        )
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeadLetter:
        d = dict(data)
        d["original"] = base64.b64decode(d.get("original") or b"")
        if d.get("original_key") is not None:
            d["original_key"] = base64.b64decode(d["original_key"])
        return _from_dict(cls, d)


def dumps(obj: Any) -> bytes:
    """The one serialiser used on every topic. orjson encodes dataclasses natively (much
    faster than ``asdict``); only DeadLetter needs its bytes fields as base64 first."""
    if isinstance(obj, DeadLetter):
        obj = obj.to_dict()
    return orjson.dumps(obj)


loads = orjson.loads
