"""Run the dashboard with uvicorn against the configured ClickHouse.

Embedded (chdb) mode reads only through the running sink's read API: a long-lived dashboard
must never hold the data directory's lock itself (the sink could not start after it). Until
a sink is running the page says so and the poller keeps looking for it.
"""

from __future__ import annotations

import httpx
import uvicorn

from processors.sink.clickhouse import ClickHouseUnavailable
from wirestream.config import Settings
from wirestream.dashboard.app import create_app
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
            self._url, self._reader = owner["url"], OwnerReader(owner["url"])
        return self._reader


def build_app(settings: Settings, poll_s: float = 1.0):
    return create_app(ReaderSource(settings).get, settings.clickhouse_database, poll_s=poll_s, transient=TRANSIENT)


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None, poll_s: float = 1.0) -> None:
    uvicorn.run(build_app(settings, poll_s), host=host, port=port or settings.dashboard_port,
                log_level="warning", timeout_graceful_shutdown=2)
