"""Read access to ClickHouse for people-facing commands, the same API in both modes.

Embedded (chdb) with a live owner process -> through its read API; otherwise a direct
clickhouse-connect client. Rows come back as JSON types (datetimes as ISO strings) in both.
"""

from __future__ import annotations

from typing import Protocol

import httpx
import orjson

from wirecore.clickhouse import ClickHouseUnavailable, open_client, query_rows
from wirecore.errors import WirestreamError
from wirecore.settings import Settings
from wirestream.owner_api import read_owner


class QueryError(WirestreamError):
    pass


class Reader(Protocol):
    def query(self, sql: str, parameters: dict | None = None) -> tuple[list[str], list[list]]: ...


class DirectReader:
    def __init__(self, client):
        self._client = client

    def query(self, sql: str, parameters: dict | None = None) -> tuple[list[str], list[list]]:
        try:
            cols, rows = query_rows(self._client, sql, parameters)
        except Exception as exc:  # noqa: BLE001 - surface the server's message, one line
            raise QueryError(str(exc).strip().splitlines()[0]) from None
        return cols, orjson.loads(orjson.dumps(rows, default=str, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z))


class OwnerReader:
    def __init__(self, url: str):
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=60)

    def query(self, sql: str, parameters: dict | None = None) -> tuple[list[str], list[list]]:
        try:
            r = self._http.post("/sql", content=orjson.dumps({"sql": sql, "parameters": parameters or {}}))
        except httpx.HTTPError as exc:
            raise ClickHouseUnavailable(f"owner process at {self.url} did not answer: {exc}") from None
        body = orjson.loads(r.content)
        if r.status_code != 200:
            raise QueryError(body.get("error", f"HTTP {r.status_code}"))
        return body["columns"], body["rows"]


def open_reader(settings: Settings) -> Reader:
    if settings.embedded:
        owner = read_owner(settings.data_dir)
        if owner:
            return OwnerReader(owner["url"])
        if not settings.chdb_path.exists():
            raise ClickHouseUnavailable(
                f"no embedded database at {settings.chdb_path} yet: run `wirestream up` first")
    return DirectReader(open_client(settings.dsn))
