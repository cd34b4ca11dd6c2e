"""Per-source producer state: what was published (source + key -> content fingerprint) and
the HTTP validators (ETag / Last-Modified) of polled URLs.

An unchanged item is not republished; a changed item with the same key is republished and
its revision counter goes up. State is written only for items the broker acknowledged, so a
failed publish is retried on the next run. One small sqlite file under the data dir.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from schemas.models import RawItem
from wirecore.identity import split_label
from wirecore.text import normalise

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    source TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (source, key));
CREATE TABLE IF NOT EXISTS http (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
"""


def fingerprint(item: RawItem) -> str:
    """Content fingerprint; a listing item's age label ("14 minuten geleden") is not content."""
    if item.meta.format == "listing":
        _, content = split_label(item.payload.decode("utf-8", "replace"))
        data = normalise(content).encode()
    else:
        data = item.payload
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class SourceState:
    def __init__(self, path: Path | str):
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SourceState:
        return cls(Path(data_dir) / "producer-state.sqlite")

    def changed(self, items: Iterable[RawItem]) -> list[RawItem]:
        """The items that are new, or whose content differs from what was last published."""
        out = []
        for item in items:
            row = self._db.execute(
                "SELECT fingerprint FROM items WHERE source = ? AND key = ?",
                (item.meta.source, item.key)).fetchone()
            if row is None or row[0] != fingerprint(item):
                out.append(item)
        return out

    def record(self, items: Iterable[RawItem]) -> None:
        """Remember items the broker acknowledged (call after a successful publish)."""
        with self._db:
            for item in items:
                self._db.execute(
                    "INSERT INTO items (source, key, fingerprint) VALUES (?, ?, ?) "
                    "ON CONFLICT (source, key) DO UPDATE SET fingerprint = excluded.fingerprint, "
                    "revision = revision + 1 WHERE fingerprint != excluded.fingerprint",
                    (item.meta.source, item.key, fingerprint(item)))

    def revision(self, source: str, key: str) -> int | None:
        row = self._db.execute("SELECT revision FROM items WHERE source = ? AND key = ?",
                               (source, key)).fetchone()
        return row[0] if row else None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self._db.execute("SELECT etag, last_modified FROM http WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def set_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO http VALUES (?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
                "etag = excluded.etag, last_modified = excluded.last_modified",
                (url, etag, last_modified))

    def close(self) -> None:
        self._db.close()
