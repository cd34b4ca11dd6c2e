"""Documents from a file, or from every file under a directory (sorted, hidden ones skipped)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from producers.sources.base import Document, now_iso


def list_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*")
                      if p.is_file() and not any(part.startswith(".") for part in
                                                 p.relative_to(path).parts))
    return [path]


def iter_file_documents(path: Path | str, fetched_at: str | None = None) -> Iterator[Document]:
    """Raises OSError for a path that cannot be read (the caller reports it)."""
    for file in list_files(Path(path)):
        yield Document(data=file.read_bytes(), name=str(file), fetched_at=fetched_at or now_iso(),
                       url=file.resolve().as_uri())
