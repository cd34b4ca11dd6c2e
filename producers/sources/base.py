"""One fetched document, before it is split into raw items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def source_name(ref: str) -> str:
    """The default source name of a file or URL: its stem ("anp-buitenland-page"). One rule
    for `up`, `produce` and `parse`, because item ids hash the source: the same page sent
    through two commands must give the same ids."""
    return Path(ref.rstrip("/").split("?")[0]).stem or "source"


@dataclass(slots=True)
class Document:
    data: bytes
    name: str  # file path or URL: used as the filename hint for format detection
    fetched_at: str
    url: str | None = None
    content_type: str | None = None
