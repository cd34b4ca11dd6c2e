"""The read API of the process that owns the embedded ClickHouse (chdb) data directory.

chdb lets one process open a data directory; a second open fails with "Cannot lock file".
So the sink, which owns it, also answers reads for everyone else (``query``, ``sql``,
``status``, the dashboard) over loopback HTTP, and serves ``/metrics``, ``/healthz`` and
``/readyz``. Its address is written to ``<data_dir>/chdb.owner.json`` while it runs.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

READ_ONLY = re.compile(r"^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b", re.I)


def owner_file(data_dir: Path) -> Path:
    return data_dir / "chdb.owner.json"


def read_owner(data_dir: Path) -> dict | None:
    """The live owner's record, or None (a stale file from a killed owner is ignored)."""
    path = owner_file(data_dir)
    try:
        rec = json.loads(path.read_text())
        os.kill(int(rec["pid"]), 0)
        return rec
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None


class OwnerServer:
    """Serves reads through ``query(sql, params) -> (columns, rows)`` of the owning client."""

    def __init__(self, query: Callable[[str, dict], tuple[list[str], list]],
                 ready: Callable[[], tuple[bool, list[str]]], port: int, data_dir: Path | None,
                 host: str = "127.0.0.1"):
        self._query = query
        self._ready = ready
        self._data_dir = data_dir
        handler = self._handler()
        self.httpd = ThreadingHTTPServer((host, port), handler)
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.url = f"http://{shown}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="owner-api")

    def start(self) -> None:
        self._thread.start()
        if self._data_dir is not None:
            tmp = owner_file(self._data_dir).with_suffix(".tmp")
            tmp.write_text(json.dumps({"pid": os.getpid(), "url": self.url}))
            tmp.replace(owner_file(self._data_dir))

    def stop(self) -> None:
        if self._data_dir is not None:
            rec = read_owner(self._data_dir)
            if rec and rec.get("pid") == os.getpid():
                owner_file(self._data_dir).unlink(missing_ok=True)
        self.httpd.shutdown()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the sink's log clean
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/metrics":
                    self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
                elif self.path == "/healthz":
                    self._send(200, b'{"status":"alive"}')
                elif self.path == "/readyz":
                    ok, reasons = server._ready()
                    body = orjson.dumps({"ready": ok, "reasons": reasons})
                    self._send(200 if ok else 503, body)
                else:
                    self._send(404, b'{"error":"not found"}')

            def do_POST(self) -> None:  # noqa: N802
                if self.path != "/sql":
                    self._send(404, b'{"error":"not found"}')
                    return
                try:
                    req = orjson.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                    sql = req["sql"]
                    if not READ_ONLY.match(sql):
                        why = "read-only API: SELECT/WITH/SHOW/DESCRIBE/EXPLAIN only"
                        self._send(400, orjson.dumps({"error": why}))
                        return
                    cols, rows = server._query(sql, req.get("parameters") or {})
                    self._send(200, orjson.dumps({"columns": cols, "rows": rows}, default=str,
                                                 option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z))
                except Exception as exc:  # noqa: BLE001 - report any query error to the caller
                    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    self._send(400, orjson.dumps({"error": msg}))

        return Handler
