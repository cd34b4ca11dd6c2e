"""The only module that imports clickhouse_connect: client, migrations, batch inserts, reads.

One client API for both targets: ``chdb:///path`` (embedded engine, in this process) and
``http(s)://host:8123`` (a server). chdb allows one process per data directory, so readers in
other processes go through the owner's read API (wirestream/owner_api.py), never a 2nd open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clickhouse_connect
import orjson
from clickhouse_connect.driver.exceptions import ClickHouseError

from wirecore.clickhouse_codes import Kind, classify, code_of, is_disk_problem, label, one_line
from wirecore.errors import ClickHouseUnavailable, PoisonError, SchemaError
from wirecore.migrations import MIGRATIONS_TABLE, check_dedup_windows, run_migrations  # noqa: F401 - re-exported


def chdb_path(dsn: str) -> Path | None:
    """The directory of an embedded (``chdb:``) DSN; None for a server or an in-memory chdb."""
    if not dsn.startswith("chdb:"):
        return None
    path = dsn.split("://", 1)[1] if "://" in dsn else dsn[5:]
    return Path(path) if path else None


def open_client(dsn: str):
    """Connect; turn every connection failure into ClickHouseUnavailable with one clear line.
    An embedded DSN's directory is created: callers that only read check it exists first."""
    try:
        if dsn.startswith("chdb:"):
            path = chdb_path(dsn)
            if path:
                path.mkdir(parents=True, exist_ok=True)
            return clickhouse_connect.get_client(dsn=dsn)
        return clickhouse_connect.get_client(dsn=dsn, connect_timeout=5, send_receive_timeout=60)
    except (OSError, ClickHouseError, RuntimeError) as exc:
        raise ClickHouseUnavailable(f"cannot open ClickHouse at {redact(dsn)}: {one_line(exc)}") from None


def redact(dsn: str) -> str:
    """Hide a password in a DSN before it is printed or logged."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", dsn)




@dataclass
class TableInsert:
    """One table's rows (dicts, serialised once as one JSON array, which JSONEachRow accepts)."""

    table: str
    rows: list[dict[str, Any]]


# rows are the topics' own JSON: extra keys are skipped, ISO-8601 times parsed server-side
INSERT_SETTINGS = {"input_format_skip_unknown_fields": 1, "date_time_input_format": "best_effort"}


class InsertRejected(PoisonError):
    """ClickHouse refused a table's rows as data; ``done`` tables were stored before it."""

    def __init__(self, table: str, done: frozenset[str], message: str, code: int | None):
        super().__init__(f"{table}: {message}")
        self.table, self.done, self.code = table, done, code


class InsertUnavailable(ClickHouseUnavailable):
    """A transient insert/read failure, with the ClickHouse code (None for transport errors)."""

    def __init__(self, message: str, code: int | None, disk: bool = False):
        super().__init__(message)
        self.code, self.disk = code, disk


def raise_classified(exc: BaseException, what: str, done: frozenset[str] = frozenset()) -> None:
    """Re-raise a driver error as the project's kind, decided by its structured code."""
    code = code_of(exc)
    kind = classify(exc)
    text = f"{what}: {one_line(exc)}"
    if kind is Kind.POISON:
        raise InsertRejected(what, done, one_line(exc), code) from exc
    if kind is Kind.FATAL:  # a bug or a dropped table: stop loudly, commit nothing
        raise SchemaError(f"{text} ({label(code)})") from exc
    raise InsertUnavailable(text, code, is_disk_problem(exc)) from exc


DRIVER_ERRORS = (ClickHouseError, OSError, RuntimeError)


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
        except DRIVER_ERRORS as exc:
            raise_classified(exc, "sink_offsets")
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
                "sink_offsets", [{"topic": topic, "partition": partition, "first_offset": first,
                                  "last_offset": last, "rows": rows}])]
        for ins in inserts:
            if not ins.rows or ins.table in done:
                continue
            try:
                self._client.raw_insert(
                    f"{self._db}.{ins.table}", insert_block=orjson.dumps(ins.rows), fmt="JSONEachRow",
                    settings=INSERT_SETTINGS | {"insert_deduplication_token": f"{token}:{ins.table}"},
                )
            except DRIVER_ERRORS as exc:
                raise_classified(exc, ins.table, frozenset(done))
            done.add(ins.table)


def query_rows(client, sql: str, parameters: dict | None = None,
               settings: dict | None = None) -> tuple[list[str], list[tuple]]:
    result = client.query(sql, parameters=parameters or {}, settings=settings)
    return list(result.column_names), [tuple(r) for r in result.result_rows]
