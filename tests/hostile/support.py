"""Helpers for the hostile-input suite: run the real console script with its peak memory,
route a document through the same code as ``wirestream parse``, and real local HTTP servers
(a feed server, an "internal service" on 127.0.0.2, a slow-drip server, a gzip bomb)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[2]
WIRESTREAM = REPO / ".venv" / "bin" / "wirestream"
FETCHED = "2026-01-24T18:00:00+00:00"
MIB = 1 << 20


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    peak_rss_mib: float
    seconds: float

    @property
    def records(self) -> list[dict]:
        return [orjson.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def dead_letters(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines()
                if ln.strip() and not ln.startswith(("parsed ", "published "))]


# The command is started by a small launcher process, which reports the command's peak RSS
# (wait4). Measured from the big pytest process directly, a child's ru_maxrss would start at
# the parent's RSS: Linux carries the high-water mark over fork/exec.
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_wirestream(*args: str, tmp: Path, env: dict[str, str] | None = None,
                   timeout: float = 60, stdin: bytes | None = None) -> Run:
    """The console script as a subprocess, with its own peak RSS (``stdin``: bytes to feed it)."""
    stamp = time.monotonic_ns()
    out, err, peak = tmp / f"out-{stamp}", tmp / f"err-{stamp}", tmp / f"peak-{stamp}"
    full_env = os.environ | {"PYTHONPATH": str(REPO), "WIRESTREAM_DATA_DIR": str(tmp / "data"),
                             "WIRESTREAM_ENV_FILE": "/dev/null"} | (env or {})
    start = time.monotonic()
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, str(peak), str(WIRESTREAM), *args],
                              stdout=o, stderr=e, env=full_env, cwd=tmp, timeout=timeout, input=stdin)
    run = Run(proc.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"),
              int(peak.read_text()) / 1024, time.monotonic() - start)
    log = os.environ.get("HOSTILE_RSS_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{' '.join(a for a in args if not a.startswith('/'))}\t{run.code}\t"
                    f"{run.peak_rss_mib:.0f}\t{run.seconds:.1f}\n")
    return run


def route(path: Path | str, fmt: str | None = None, limits=None) -> tuple[list[dict], list[str]]:
    """(parsed records, dead-letter lines) of one file or URL through ``wirestream parse``'s
    code, in this process (fast; the console script itself is run by the exit-code tests)."""
    from wirestream.cmd_parse import parse_files

    out, err = io.BytesIO(), io.StringIO()
    parse_files([path], fmt, FETCHED, None, out=out, err=err, limits=limits)
    records = [orjson.loads(line) for line in out.getvalue().splitlines()]
    return records, err.getvalue().splitlines()


# -- real local HTTP servers --------------------------------------------------------------
Handler = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    """A threaded HTTP server on ``host`` answering every GET with ``handle``; ``hits``
    records the paths requested, so a test can prove a server was never reached."""

    def __init__(self, host: str, handle: Handler):
        hits: list[str] = []

        class _H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                hits.append(self.path)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handle(self)

            def log_message(self, *args) -> None:
                pass

        self.hits = hits
        self.server = ThreadingHTTPServer((host, 0), _H)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    h.send_response(status)
    for name, value in headers.items():
        h.send_header(name.replace("_", "-"), value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)




def gzip_members(inflated: int, member: int = 64 * MIB) -> bytes:
    """A multi-member gzip body inflating to ``inflated`` zero bytes (~1000:1), built fast
    by repeating one compressed member."""
    one = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = one.compress(b"\0" * member) + one.flush()
    return block * max(1, inflated // member)
