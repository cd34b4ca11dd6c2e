"""The result of splitting one fetched document, and how raw items are keyed."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.models import RawItem, RawMeta


@dataclass(slots=True)
class SplitResult:
    items: list[RawItem] = field(default_factory=list)
    errors: list[tuple[str, bytes]] = field(default_factory=list)  # (reason, original bytes)
    notes: list[str] = field(default_factory=list)  # e.g. "decoded with cp1252 fallback"


@dataclass(slots=True, frozen=True)
class DocumentContext:
    """What every splitter needs to make RawItems for one fetched document."""

    source: str
    fmt: str
    fetched_at: str
    url: str | None = None
    content_type: str | None = None
    source_tz: str | None = None
    first_line: int = 1  # number of the document's first line in its file (JSON-lines runs)

    def meta(self, fmt: str | None = None) -> RawMeta:
        return RawMeta(
            source=self.source, format=fmt or self.fmt, fetched_at=self.fetched_at,
            url=self.url, content_type=self.content_type, source_tz=self.source_tz,
        )

    def item(self, key: str, payload: bytes, fmt: str | None = None) -> RawItem:
        return RawItem(key=key, payload=payload, meta=self.meta(fmt))
