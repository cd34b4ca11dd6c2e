"""Per-source producer state: what was published (source + key -> content fingerprint) and
the HTTP validators (ETag / Last-Modified) of polled URLs.

An unchanged item is not republished; a changed item with the same key is republished and
its revision counter goes up. Several items with one key in one document are one key's
history, in publication order (``select_changed``): a re-run of an unchanged document
publishes nothing. State is written only for items the broker acknowledged, so a
failed publish is retried on the next run. One small sqlite file under the data dir.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
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


ItemKey = tuple[str, str]  # (source, key)


def select_changed(items: Sequence[RawItem], published: Mapping[ItemKey, str]) -> list[RawItem]:
    """The items of one document to publish, in order, given each key's last published
    fingerprint (pure).

    A key may occur several times in one document (r1 v1, r1 v2, r1 v1 again). Comparing each
    occurrence with the stored fingerprint republished the document on every run, the state
    flipping between versions; instead a key's occurrences are its history: everything up to
    the last occurrence of the published version is already out, and of the rest a version
    equal to the one just before it (an exact repeat) is dropped. So an unchanged document
    publishes nothing, and three identical lines publish one item."""
    prints = [fingerprint(item) for item in items]
    keys = [(item.meta.source, item.key) for item in items]
    already_out = {k: n for n, (k, fp) in enumerate(zip(keys, prints, strict=True))
                   if published.get(k) == fp}
    out: list[RawItem] = []
    previous: dict[ItemKey, str] = {}
    for n, (item, k, fp) in enumerate(zip(items, keys, prints, strict=True)):
        if n <= already_out.get(k, -1) or previous.get(k) == fp:
            continue
        previous[k] = fp
        out.append(item)
    return out


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

    def changed(self, items: Sequence[RawItem]) -> list[RawItem]:
        """The items of one document that are new or differ from what was last published
        (``select_changed``: a key repeated inside the document is published once)."""
        return select_changed(items, self.published(items))

    def published(self, items: Iterable[RawItem]) -> dict[ItemKey, str]:
        """The last published fingerprint of each (source, key) among ``items``."""
        out: dict[ItemKey, str] = {}
        for k in {(item.meta.source, item.key) for item in items}:
            row = self._db.execute(
                "SELECT fingerprint FROM items WHERE source = ? AND key = ?", k).fetchone()
            if row is not None:
                out[k] = row[0]
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
