"""What a format parser extracts from one raw item, before it becomes a ``WireItem``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class ItemFields:
    guid: str
    headline: str
    body: str
    published: datetime | None = None
    updated: datetime | None = None
    dateline: str | None = None
    places: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    language: str | None = None  # declared by the format
    url: str | None = None
    revision: int = 0
    source: str | None = None  # overrides meta.source (JSON-lines backfill carries its own)
    status: str = "usable"  # usable | withdrawn | canceled
    embargoed: datetime | None = None
    urgency: int | None = None
    subjects: list[str] = field(default_factory=list)
