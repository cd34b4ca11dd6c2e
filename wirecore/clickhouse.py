"""The only module that imports clickhouse_connect: client, migrations, batch inserts, reads.

One client API for both targets: ``chdb:///path`` (embedded engine, in this process) and
``http(s)://host:8123`` (a server). chdb allows one process per data directory, so readers in
other processes go through the owner's read API (wirestream/owner_api.py), never a 2nd open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import clickhouse_connect
import orjson
from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError, OperationalError

from wirecore.errors import ClickHouseUnavailable, SchemaError
from wirecore.migrations import MIGRATIONS_TABLE, check_dedup_windows, run_migrations  # noqa: F401 - re-exported


def _friendly(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Cannot lock file" in str(exc):
        return "the embedded ClickHouse data directory is in use by another process (" + text + ")"
    return text


def open_client(dsn: str):
    """Connect; turn every connection failure into ClickHouseUnavailable with one clear line."""
    try:
        if dsn.startswith("chdb:"):
            path = dsn.split("://", 1)[1] if "://" in dsn else dsn[5:]
            if path:
                import os

                os.makedirs(path, exist_ok=True)
            return clickhouse_connect.get_client(dsn=dsn)
        return clickhouse_connect.get_client(dsn=dsn, connect_timeout=5, send_receive_timeout=60)
    except (OSError, ClickHouseError, RuntimeError) as exc:
        raise ClickHouseUnavailable(f"cannot open ClickHouse at {redact(dsn)}: {_friendly(exc)}") from None


def redact(dsn: str) -> str:
    """Hide a password in a DSN before it is printed or logged."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", dsn)


# ClickHouse error codes that mean "this data can never be stored": isolate the row (DLQ).
# Everything else during an insert is treated as the target's problem: pause and retry, never
# dead-letter good data because of an outage (e.g. 242 TABLE_IS_READ_ONLY while Keeper is away).
DATA_ERROR_CODES = frozenset({
    6, 25, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 131, 321, 349, 691,
})  # CANNOT_PARSE_*, TYPE_MISMATCH, CANNOT_CONVERT_TYPE, INCORRECT_DATA, VALUE_IS_OUT_OF_RANGE...
SCHEMA_ERROR_CODES = frozenset({16, 47, 60, 81})  # NO_SUCH_COLUMN, UNKNOWN_IDENTIFIER/TABLE/DATABASE


def error_code(exc: BaseException) -> int | None:
    m = re.search(r"Code: (\d+)", str(exc))
    return int(m.group(1)) if m else None


def is_transient(exc: BaseException) -> bool:
    """Connection problems, locks, too-many-parts: retry. Anything else about data: poison."""
    if isinstance(exc, OperationalError | ClickHouseUnavailable | OSError | TimeoutError):
        return True
    text = str(exc)
    return any(
        marker in text
        for marker in ("Cannot lock file", "TOO_MANY_PARTS", "Connection refused", "Timeout",
                       "Read-only file system", "Permission denied", "NOT_ENOUGH_SPACE",
                       "CANNOT_OPEN_FILE", "Cannot open file", "MEMORY_LIMIT")
    )


@dataclass
class TableInsert:
    table: str
    columns: Sequence[str]  # documentation of the row shape; rows are dicts (JSONEachRow)
    rows: list[dict[str, Any]]


# rows are the topics' own JSON: extra keys are skipped, ISO-8601 times parsed server-side
INSERT_SETTINGS = {"input_format_skip_unknown_fields": 1, "date_time_input_format": "best_effort"}


class ClickHouseWriter:
    """Inserts a batch's rows, each table with the batch's deduplication token."""

    def __init__(self, client, database: str):
        self._client = client
        self._db = database

    def stored_through(self, topic: str, partition: int) -> int:
        """Highest offset of ``topic``/``partition`` already stored, or -1."""
        try:
            rows = self._client.query(
                f"SELECT max(last_offset), count() FROM {self._db}.sink_offsets "
                "WHERE topic = {t:String} AND partition = {p:UInt32}",
                parameters={"t": topic, "p": partition},
            ).result_rows
        except (DatabaseError, OperationalError, OSError, RuntimeError) as exc:
            if is_transient(exc):
                raise ClickHouseUnavailable(_friendly(exc)) from exc
            raise
        last, n = rows[0]
        return int(last) if n else -1

    def write(self, inserts: Sequence[TableInsert], token: str,
              progress: tuple[str, int, int, int] | None = None, skip: frozenset[str] = frozenset()) -> None:
        """Insert each table's rows, then (if given) the progress row (topic, partition, first, last).
        ``skip``: tables already stored for a larger range containing this one (poison splitting)."""
        done: set[str] = set(skip)
        if progress is not None:
            topic, partition, first, last = progress
            rows = sum(len(i.rows) for i in inserts)
            inserts = [*inserts, TableInsert(
                "sink_offsets", (), [{"topic": topic, "partition": partition, "first_offset": first,
                                      "last_offset": last, "rows": rows}])]
        for ins in inserts:
            if not ins.rows or ins.table in done:
                continue
            try:
                self._client.raw_insert(
                    f"{self._db}.{ins.table}",
                    insert_block=b"\n".join(map(orjson.dumps, ins.rows)),
                    fmt="JSONEachRow",
                    settings=INSERT_SETTINGS | {"insert_deduplication_token": f"{token}:{ins.table}"},
                )
            except (DatabaseError, OperationalError, OSError, RuntimeError) as exc:
                code = error_code(exc)
                if code in DATA_ERROR_CODES:
                    raise TableRejected(ins.table, frozenset(done), _friendly(exc)) from exc
                if code in SCHEMA_ERROR_CODES:  # a bug or a dropped table: stop loudly, commit nothing
                    raise SchemaError(f"{self._db}.{ins.table}: {_friendly(exc)}") from exc
                raise ClickHouseUnavailable(_friendly(exc)) from exc
            done.add(ins.table)


class TableRejected(Exception):  # noqa: N818 - what happened, not an error class name
    """ClickHouse refused a table's rows as data; ``done`` tables were stored before it."""

    def __init__(self, table: str, done: frozenset[str], message: str):
        super().__init__(f"{table}: {message}")
        self.table, self.done = table, done


def query_rows(client, sql: str, parameters: dict | None = None,
               settings: dict | None = None) -> tuple[list[str], list[tuple]]:
    result = client.query(sql, parameters=parameters or {}, settings=settings)
    return list(result.column_names), [tuple(r) for r in result.result_rows]
