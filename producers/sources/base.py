"""One fetched document, before it is split into raw items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class Document:
    data: bytes
    name: str  # file path or URL: used as the filename hint for format detection
    fetched_at: str
    url: str | None = None
    content_type: str | None = None
