"""One fetched document, before it is split into raw items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


STREAM_SOURCE = "stdin"  # the default source name of standard input, a pipe or /dev/fd/N


def source_name(ref: str) -> str:
    """The default source name of a file or URL: its stem ("anp-buitenland-page"). One rule
    for `up`, `produce` and `parse`, because item ids hash the source: the same page sent
    through two commands must give the same ids."""
    return Path(ref.rstrip("/").split("?")[0]).stem or "source"


@dataclass(slots=True)
class Document:
    """A whole document, a run of whole JSON lines or of a big feed's items, or a refusal.

    ``refused`` is set when the reader had to stop keeping bytes (the document or one line is
    larger than its limit): ``data`` then holds only a prefix and ``size`` the bytes seen, and
    the pipeline dead-letters it instead of splitting it."""

    data: bytes
    name: str  # file path or URL: used as the filename hint for format detection
    fetched_at: str
    url: str | None = None
    content_type: str | None = None
    fmt: str | None = None  # known format (a JSON-lines run), else detected from the bytes
    first_line: int = 1  # line number of data's first line in its file (JSON-lines runs)
    refused: str | None = None
    size: int | None = None
    source: str | None = None  # default source name when name/url cannot give one (stdin)
    exact_size: bool = False  # a refusal's ``size`` is the whole item's, not "at least"
