"""Child processes of ``wirestream up``: the faust worker and the sink, with log files.

Each runs in its own session so a Ctrl-C or a kill of ``up`` can stop the whole group, and
``stop_all`` always leaves no stray process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from wirecore.errors import FatalError
from wirecore.settings import Settings


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path
    terminated: bool = False  # SIGTERM sent (once: a second one may cut a graceful stop short)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def reason(self) -> str:
        """The child's last error-looking log line, for a one-line message."""
        lines = [ln.strip() for ln in self.tail(60).splitlines() if ln.strip()]
        for ln in reversed(lines):
            if any(w in ln for w in ("ERROR", "CRITICAL", "Error", "error:", "Exception")):
                return ln
        return lines[-1] if lines else "no output"

    def terminate(self) -> None:
        """SIGTERM to the child's process group, without waiting for it (``stop`` waits)."""
        if self.terminated or not self.alive():
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        self.terminated = True

    def stop(self, timeout_s: float = 20.0) -> None:
        if not self.alive():
            return
        self.terminate()
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["WIRESTREAM_DATA_DIR"] = str(settings.data_dir.resolve())
    env["WIRESTREAM_KAFKA_PORT"] = str(settings.kafka_port)
    if settings.kafka_bootstrap:
        env["WIRESTREAM_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    env["WIRESTREAM_LOG_LEVEL"] = settings.log_level
    env["WIRESTREAM_LOG_FORMAT"] = settings.log_format
    env["PYTHONUNBUFFERED"] = "1"
    return env


def spawn(settings: Settings, name: str, module: str, env: dict[str, str] | None = None) -> Child:
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    fh = open(log, "ab")  # noqa: SIM115 - handed to the child, closed when it exits
    proc = subprocess.Popen(
        [sys.executable, "-m", module], env=child_env(settings) | (env or {}), stdout=fh, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True, cwd=os.getcwd(),
    )
    fh.close()
    return Child(name, proc, log)


def wait_for(predicate, children: list[Child], timeout_s: float, what: str, interval: float = 0.3) -> None:
    """Poll ``predicate`` until true; fail fast, with its log, if a child dies meanwhile."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for c in children:
            if not c.alive():
                raise ChildDied(
                    f"{c.name} exited with status {c.proc.returncode} while waiting for {what}: "
                    f"{c.reason()} (full log: {c.log})")
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")


class ChildDied(FatalError):
    pass
