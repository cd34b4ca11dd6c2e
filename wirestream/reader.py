"""Read access to ClickHouse for people-facing commands, the same API in every mode.

Embedded (chdb) with a live owner process -> through its read API (token from the owner's
token file); otherwise a direct clickhouse-connect client. Rows come back as JSON types
(datetimes as ISO strings) in both. Every mode runs in the configured database and is
read-only unless the caller asks for writes (``wirestream sql --write``): the owner API
always (its read handles are ``readonly=1``), a direct client through ``readonly=1`` on
each query.
"""

from __future__ import annotations

from typing import Protocol

import httpx
import orjson

from wirecore.clickhouse import ClickHouseUnavailable, open_client, query_rows
from wirecore.clickhouse_codes import Code, code_of
from wirecore.errors import UsageError, WirestreamError
from wirecore.settings import Settings
from wirestream.owner_api import read_owner
from wirestream.sql_guard import ReadLimits

LIMIT_CODES = frozenset({Code.TIMEOUT_EXCEEDED, Code.MEMORY_LIMIT_EXCEEDED, Code.TOO_MANY_ROWS_OR_BYTES})


class QueryError(WirestreamError):
    """ClickHouse could not run the statement (exit 1)."""


class QueryNotAllowed(UsageError):
    """The statement is not allowed here, e.g. a write without ``--write`` (exit 2)."""




class Reader(Protocol):
    def query(self, sql: str, parameters: dict | None = None) -> tuple[list[str], list[list]]: ...


class DirectReader:
    """A clickhouse-connect client. ``write=False`` sends ``readonly=1`` with every query and
    the same limits the read API has (``ReadLimits``): in-process chdb, a query without them
    (``SELECT number FROM system.numbers``) grew until the kernel killed the command."""

    def __init__(self, client, database: str | None = None, write: bool = False,
                 limits: ReadLimits | None = None):
        self._client = client
        self._limits = None if write else limits or ReadLimits()
        self._settings = {} if self._limits is None else self._limits.settings()
        if database:
            client.database = database  # unqualified names: chdb USEs it per call, HTTP sends it

    def query(self, sql: str, parameters: dict | None = None) -> tuple[list[str], list[list]]:
        try:
            cols, rows = query_rows(self._client, sql, parameters, settings=self._settings or None)
        except Exception as exc:  # noqa: BLE001 - surface the server's message, one line
            message = str(exc).strip().splitlines()[0]
            code = code_of(exc)
            if self._settings.get("readonly") and code == Code.READONLY:
                raise QueryNotAllowed(f"read-only: {message} (add --write to change data)") from None
            if self._limits is not None and code in LIMIT_CODES:
                raise QueryError(f"{message} — {self._limits.describe()}; narrow the query "
                                 "(WHERE, LIMIT) or raise WIRESTREAM_API_* limits") from None
            raise QueryError(message) from None
        return cols, orjson.loads(orjson.dumps(rows, default=str, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z))


class OwnerReader:
    """Through the owning sink's SQL API (read-only there, whatever is asked)."""

    def __init__(self, url: str, token: str | None, timeout_s: float = 60):
        self.url = url
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=url, timeout=timeout_s, headers=headers)

    def query(self, sql: str, parameters: dict | None = None) -> tuple[list[str], list[list]]:
        try:
            r = self._http.post("/sql", content=orjson.dumps({"sql": sql, "parameters": parameters or {}}))
        except httpx.HTTPError as exc:
            raise ClickHouseUnavailable(f"owner process at {self.url} did not answer: {exc}") from None
        try:
            body = orjson.loads(r.content)
        except orjson.JSONDecodeError:
            body = {}
        if r.status_code != 200:
            message = body.get("error", f"HTTP {r.status_code}")
            raise (QueryNotAllowed if body.get("kind") == "refused" else QueryError)(message)
        return body["columns"], body["rows"]


def open_reader(settings: Settings, write: bool = False) -> Reader:
    """The reader for this deployment; ``write=True`` only for ``wirestream sql --write``."""
    if settings.embedded:
        owner = read_owner(settings.data_dir)
        if owner:
            if write:
                raise UsageError("the sink is running and owns the embedded database: writes go "
                                 "through the pipeline (stop it to use `sql --write`)")
            if not owner.get("token"):
                raise QueryError(f"cannot read the read API's token in {settings.data_dir}: "
                                 "run as the user that runs the sink")
            return OwnerReader(owner["url"], owner["token"])
        if not settings.chdb_path.exists():
            raise ClickHouseUnavailable(
                f"no embedded database at {settings.chdb_path} yet: run `wirestream up` first")
    return DirectReader(open_client(settings.dsn), settings.clickhouse_database, write=write,
                        limits=ReadLimits.from_settings(settings))
