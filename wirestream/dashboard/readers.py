"""Readers for long-running viewers (dashboard, live ``status``).

Embedded (chdb) mode reads only through the running sink's read API: a long-lived viewer
must never hold the data directory's lock itself (the sink could not start after it). Until
a sink is running, ``get()`` raises ``ClickHouseUnavailable`` and callers keep looking.
"""

from __future__ import annotations

import httpx

from wirecore.clickhouse import ClickHouseUnavailable
from wirecore.settings import Settings
from wirestream.owner_api import read_owner
from wirestream.reader import OwnerReader, QueryError, Reader, open_reader

TRANSIENT = (ClickHouseUnavailable, QueryError, httpx.HTTPError)


class ReaderSource:
    """``get()`` -> a Reader for the current owner (re-resolved when the sink restarts)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._url: str | None = None
        self._reader: Reader | None = None

    def get(self) -> Reader:
        s = self.settings
        if not s.embedded:
            if self._reader is None:
                self._reader = open_reader(s)
            return self._reader
        owner = read_owner(s.data_dir)
        if owner is None:
            raise ClickHouseUnavailable(
                f"waiting for the pipeline: no running sink owns {s.chdb_path} (start `wirestream up --follow`)")
        if owner["url"] != self._url:
            self._url, self._reader = owner["url"], OwnerReader(owner["url"], owner["token"])
        return self._reader


