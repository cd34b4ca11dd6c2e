"""Analyst reads in the sink's process, on chdb handles of their own.

chdb runs in the sink's process and allows any number of connection handles to its one
engine; each handle has its own session settings and its own lock. So reads never share
the inserts' handle (or lock): a read running for its whole time limit leaves inserts at
their usual latency (tests/integration/test_sql_api_hostile.py measures it).

- Read handles (a small pool): ``USE <database>``, the limits of ``ReadLimits``, then
  ``readonly=1`` — after which nothing, not even the query's own ``SETTINGS``, can change
  them.
- One inspect handle (not read-only, never runs analyst SQL): normalises the statement with
  ``formatQuerySingleLine``, gets its ``EXPLAIN AST`` for ``sql_guard.check_ast``, and
  ``KILL``s a query whose client went away.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import uuid
from collections.abc import Callable

from wirecore.clickhouse import open_client, query_rows
from wirecore.errors import WirestreamError
from wirestream.sql_guard import QueryRefused, ReadLimits, check_ast, parse_explain_ast


def _sql_value(value: str | int | float) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class ReadSession:
    """``query(sql, params)`` for the read API: checked, limited, read-only, cancellable."""

    def __init__(self, dsn: str, database: str, limits: ReadLimits = ReadLimits(), handles: int = 2):
        self.database = database
        self.limits = limits
        self._dsn = dsn
        self._inspect = open_client(dsn)
        self._inspect_lock = threading.Lock()
        self._pool: queue.Queue = queue.Queue()
        for _ in range(handles):
            self._pool.put(self._open_read_handle(dsn))

    def _open_read_handle(self, dsn: str):
        client = open_client(dsn)
        client.command(f"USE {_ident(self.database)}")
        for name, value in self.limits.settings().items():  # readonly last: it locks the rest
            client.command(f"SET {name} = {_sql_value(value)}")
        return client

    def databases(self) -> frozenset[str]:
        with self._inspect_lock:
            return frozenset(r[0] for r in self._inspect.query("SELECT name FROM system.databases").result_rows)

    def check(self, sql: str, params: dict | None = None) -> str:
        """The statement as ClickHouse normalised it, if the allow-list accepts it."""
        with self._inspect_lock:
            try:
                text = self._inspect.query("SELECT formatQuerySingleLine({q:String})",
                                           parameters={"q": sql}).result_rows[0][0]
                ast = self._inspect.command(f"EXPLAIN AST {text}", parameters=params or None)
            except Exception as exc:  # noqa: BLE001 - a parse error is the caller's to read
                raise QueryRefused(_first_line(exc)) from None
        check_ast(parse_explain_ast(ast if isinstance(ast, str) else "\n".join(map(str, ast))),
                  self.database, self.databases())
        return text

    def query(self, sql: str, params: dict | None = None,
              gone: Callable[[], bool] | None = None) -> tuple[list[str], list[tuple]]:
        """Run a checked read; ``gone()`` polled while it runs: True kills it server-side."""
        text = self.check(sql, params)
        tag = f"/* wsq:{uuid.uuid4().hex} */"
        result: dict = {}
        handle = self._pool.get()

        def run() -> None:
            try:
                result["ok"] = query_rows(handle, f"{tag} {text}", params)
            except Exception as exc:  # noqa: BLE001 - handed to the caller's thread below
                result["error"] = exc

        worker = threading.Thread(target=run, daemon=True, name="read-api-query")
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.2)
                if worker.is_alive() and gone is not None and gone():
                    self.kill(tag)
                    worker.join(5)
                    raise QueryRefused("client went away: query cancelled")
        finally:
            self._give_back(handle, clean=not worker.is_alive() and "ok" in result)
        if "error" in result:
            raise QueryFailed(_first_line(result["error"]))
        return result["ok"]

    def _give_back(self, handle, clean: bool) -> None:
        """A handle whose query failed may hold the rest of an aborted stream (the next
        result would start with its bytes): replace it with a fresh one."""
        if clean:
            self._pool.put(handle)
            return
        with contextlib.suppress(Exception):  # a half-closed handle is dropped either way
            handle.close()
        self._pool.put(self._open_read_handle(self._dsn))

    def kill(self, tag: str) -> None:
        with self._inspect_lock:
            self._inspect.command("KILL QUERY WHERE startsWith(query, {t:String}) SYNC", parameters={"t": tag})


class QueryFailed(WirestreamError):
    """ClickHouse stopped the query (a limit, a missing column, ...): its own message."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
