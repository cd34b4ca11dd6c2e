"""The listeners of the process that owns the embedded ClickHouse (chdb) data directory.

chdb lets one process open a data directory; a second open fails with "Cannot lock file".
So the sink, which owns it, also answers reads for everyone else (``query``, ``sql``,
``status``, the dashboard). Two listeners, because they have different audiences:

- ``HealthServer``: ``/metrics``, ``/healthz``, ``/readyz`` on ``WIRESTREAM_HTTP_HOST`` :
  ``WIRESTREAM_METRICS_PORT`` (``0.0.0.0`` in containers, so Prometheus and probes reach it).
  Nothing else is served there.
- ``SqlApiServer``: ``POST /sql`` on 127.0.0.1 only (port ``WIRESTREAM_API_PORT``, 0 = any
  free port), for the embedded database only. Its address is written to
  ``<data_dir>/chdb.owner.json`` and a per-run secret to ``<data_dir>/chdb.owner.token``
  (mode 0600: only the sink's user can read it). A request needs that token, a JSON body,
  a loopback ``Host`` and no foreign ``Origin`` — so a web page in the analyst's browser
  cannot send one (a cross-site ``text/plain`` POST fails on all four).
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import os
import secrets
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wirecore.errors import UsageError

LOOPBACK = "127.0.0.1"
MAX_BODY_BYTES = 1 << 20
# A request (line, headers, body) must have arrived this long after its connection opened, and
# each response write gets this long: a client that sends nothing, or a byte now and then
# (slowloris), or fewer body bytes than its Content-Length, no longer holds a thread for ever.
REQUEST_DEADLINE_S = 10.0
WRITE_TIMEOUT_S = 30.0
log = logging.getLogger("wirestream.sink")


def owner_file(data_dir: Path) -> Path:
    return data_dir / "chdb.owner.json"


def token_file(data_dir: Path) -> Path:
    return data_dir / "chdb.owner.token"


def read_owner(data_dir: Path) -> dict | None:
    """The live owner's record with its ``token`` (None when this user cannot read it), or
    None when no owner runs (a stale file from a killed owner is ignored)."""
    path = owner_file(data_dir)
    try:
        rec = json.loads(path.read_text())
        os.kill(int(rec["pid"]), 0)
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    try:
        rec["token"] = token_file(data_dir).read_text().strip()
    except OSError:
        rec["token"] = None
    return rec


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by this user only (created 0600, then moved into place)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    tmp.replace(path)


class _RequestReader(socket.SocketIO):
    """Socket reads that must all be done by ``deadline``: each read waits only the time left.

    A per-read timeout alone lets a client send one byte just before each timeout, for as
    long as it likes; http.server's ``readline`` of a header line is many reads."""

    def __init__(self, sock: socket.socket, deadline: float):
        super().__init__(sock, "rb")
        self._deadline = deadline

    def readinto(self, b) -> int | None:  # noqa: ANN001 - io's buffer protocol
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request not received within its deadline")
        self._sock.settimeout(left)
        return super().readinto(b)


MAX_CONNECTIONS = 64  # requests one listener serves at once (a thread each); more get 503
_BUSY_BODY = b'{"error": "too many connections: try again"}'
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
         b"Connection: close\r\nContent-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY)


class _Server(ThreadingHTTPServer):
    """One thread per connection, at most ``MAX_CONNECTIONS`` at once: each is bounded in time
    (the request deadline), but a flood of connections made a thread each without limit. Past
    the cap a connection gets a 503 at once, written by the accepting thread (a few bytes the
    socket's buffer takes), and is closed."""

    daemon_threads = True

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - socketserver's
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request, client_address) -> None:  # noqa: ANN001
        if not self._slots.acquire(blocking=False):
            try:
                request.setblocking(False)
                request.send(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()  # no thread started: nobody else would
            raise

    def process_request_thread(self, request, client_address) -> None:  # noqa: ANN001
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - socketserver's signature
        """A client that hangs up or stalls is no news (socketserver printed a traceback per
        connection to the sink's stderr, so any client could fill its log); a bug is one line."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            log.warning("listener: %s from %s: %s", type(exc).__name__, client_address[0], exc)


class _Handler(BaseHTTPRequestHandler):
    server_version = "wirestream"
    sys_version = ""
    request_deadline_s = REQUEST_DEADLINE_S
    timeout = WRITE_TIMEOUT_S

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # replaced by one whose reads end at the request's deadline
        self.rfile = io.BufferedReader(_RequestReader(self.connection, time.monotonic() + self.request_deadline_s))

    def log_message(self, *args) -> None:  # keep the sink's log clean
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.connection.settimeout(self.timeout)  # the reads left it at the request's remaining time
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, orjson.dumps({"error": message}))


class HealthServer:
    """``/metrics``, ``/healthz``, ``/readyz`` — and nothing else — on the configured bind."""

    def __init__(self, ready: Callable[[], tuple[bool, list[str]]], host: str, port: int,
                 request_deadline_s: float = REQUEST_DEADLINE_S):
        class Handler(_Handler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/metrics":
                    self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
                elif self.path == "/healthz":
                    self._send(200, b'{"status":"alive"}')
                elif self.path == "/readyz":
                    ok, reasons = ready()
                    self._send(200 if ok else 503, orjson.dumps({"ready": ok, "reasons": reasons}))
                else:
                    self._error(404, "not found")

            def do_POST(self) -> None:  # noqa: N802
                self._error(404, "not found")

        Handler.request_deadline_s = request_deadline_s
        self.httpd = _Server((host, port), Handler)
        shown = LOOPBACK if host in ("0.0.0.0", "", "::") else host
        self.url = f"http://{shown}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="health")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


Query = Callable[[str, dict, Callable[[], bool]], tuple[list[str], list]]


class SqlApiServer:
    """``POST /sql`` for the owner's readers, loopback only, behind a per-run token.

    ``query(sql, parameters, gone)`` runs one read (``wirestream.read_session.ReadSession``);
    ``gone()`` tells it whether the client has hung up, so it can kill the query.
    """

    def __init__(self, query: Query, data_dir: Path, port: int = 0, request_deadline_s: float = REQUEST_DEADLINE_S):
        self._data_dir = data_dir
        self.token = secrets.token_urlsafe(32)
        handler = self._handler(query)
        handler.request_deadline_s = request_deadline_s
        self.httpd = _Server((LOOPBACK, port), handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="sql-api")

    def start(self) -> None:
        self._thread.start()
        _write_private(token_file(self._data_dir), self.token + "\n")
        _write_private(owner_file(self._data_dir), json.dumps({"pid": os.getpid(), "url": self.url}))

    def stop(self) -> None:
        rec = read_owner(self._data_dir)
        if rec and rec.get("pid") == os.getpid():
            owner_file(self._data_dir).unlink(missing_ok=True)
            token_file(self._data_dir).unlink(missing_ok=True)
        self.httpd.shutdown()
        self.httpd.server_close()

    def allowed_hosts(self) -> set[str]:
        return {f"{LOOPBACK}:{self.port}", f"localhost:{self.port}"}

    def _handler(self, query: Query):
        api = self

        class Handler(_Handler):
            def do_GET(self) -> None:  # noqa: N802
                self._error(404, "not found: POST /sql")

            def do_POST(self) -> None:  # noqa: N802
                if self.path != "/sql":
                    self._error(404, "not found")
                    return
                refusal = self._refusal()
                if refusal:
                    self._error(*refusal)
                    return
                try:
                    req = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
                    sql, params = req["sql"], req.get("parameters") or {}
                    if not isinstance(sql, str) or not isinstance(params, dict):
                        raise TypeError("sql must be a string, parameters an object")
                except (ValueError, KeyError, TypeError) as exc:
                    self._error(400, f"bad request body: {exc}")
                    return
                try:
                    cols, rows = query(sql, params, self._gone)
                except Exception as exc:  # noqa: BLE001 - any query failure goes back to the caller
                    text = str(exc).strip()
                    message = text.splitlines()[0] if text else type(exc).__name__
                    # refused (the statement is not allowed: bad input) vs failed (ClickHouse said no)
                    kind = "refused" if isinstance(exc, UsageError) else "failed"
                    self._send(400, orjson.dumps({"error": message, "kind": kind}))
                    return
                self._send(200, orjson.dumps({"columns": cols, "rows": rows}, default=str,
                                             option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z))

            def _refusal(self) -> tuple[int, str] | None:
                """Why this request is refused before any SQL is looked at, or None."""
                origin = self.headers.get("Origin")
                if origin is not None and origin not in {f"http://{h}" for h in api.allowed_hosts()}:
                    return 403, f"cross-origin request refused (Origin: {origin})"
                if self.headers.get("Host") not in api.allowed_hosts():
                    return 403, f"unexpected Host header {self.headers.get('Host')!r}: loopback only"
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if ctype != "application/json":
                    return 415, "Content-Type must be application/json"
                auth = self.headers.get("Authorization") or ""
                given = auth.removeprefix("Bearer ").strip()
                if not auth.startswith("Bearer ") or not hmac.compare_digest(given, api.token):
                    return 401, "missing or wrong token (see <data_dir>/chdb.owner.token)"
                # a number of bytes: -1 read to the end of the stream, past MAX_BODY_BYTES, and a
                # word raised in here (a traceback in the sink's log, no answer)
                length = self.headers.get("Content-Length") or ""
                if not (length.isascii() and length.isdigit()):
                    return 411, "Content-Length must be the body's size in bytes"
                if int(length) > MAX_BODY_BYTES:
                    return 413, "request body too large"
                return None

            def _gone(self) -> bool:
                """The client closed its end (readable socket with nothing to read)."""
                sock = self.connection
                try:
                    readable, _, _ = select.select([sock], [], [], 0)
                    return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

        return Handler
