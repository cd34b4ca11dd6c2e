"""Run the ``wirestream`` console script as a person does: a subprocess, its real ``main()``,
its real exit code and stderr, stdin as given.

``produce`` needs a broker; ``run_cli(..., published=PATH)`` swaps in a publisher that
appends what it was given to ``PATH`` as JSON lines (``{"topic", "key", "source"}``), so unit
tests check what would have gone to ``wire.raw`` and ``wire.dlq`` without Kafka.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from producers.publisher import PublishReport

REPO = Path(__file__).resolve().parents[2]
_LAUNCH = "import sys; from tests.support.cli_run import _launch; _launch(sys.argv[1:])"


class FilePublisher:
    """Every item or dead letter it is given, one JSON line each in ``path``."""

    def __init__(self, path: Path):
        self.path = path

    def _append(self, rows: list[dict]) -> None:
        with self.path.open("ab") as f:
            f.writelines(orjson.dumps(r) + b"\n" for r in rows)

    def publish(self, items, progress=None) -> PublishReport:  # noqa: ARG002 - same signature as RawPublisher
        items = list(items)
        self._append([{"topic": "raw", "key": i.key, "source": i.meta.source} for i in items])
        return PublishReport(len(items), [], [i.key for i in items])

    def publish_dead_letters(self, letters) -> PublishReport:
        letters = list(letters)
        self._append([{"topic": "dlq", "reason": dl.reason} for dl in letters])
        return PublishReport(len(letters), [], [str(n) for n in range(len(letters))])

    def close(self) -> None:
        pass


def _launch(argv: list[str]) -> None:
    """Child side: install the file publisher when asked, then the console script's main()."""
    published = os.environ.get("WIRESTREAM_TEST_PUBLISHED")
    if published:
        from wirestream import cmd_produce

        cmd_produce.make_publisher = lambda settings: FilePublisher(Path(published))
    import signal

    from wirestream.cli import main

    # Ctrl-C at a terminal is KeyboardInterrupt even when the test runner ignores SIGINT
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.argv = ["wirestream", *argv]
    main()


def _child_env(data_dir: Path, published: Path | None, env: dict[str, str] | None) -> dict:
    full = dict(os.environ) | {"PYTHONPATH": str(REPO), "WIRESTREAM_DATA_DIR": str(data_dir),
                               "WIRESTREAM_KAFKA_BOOTSTRAP": "127.0.0.1:1"} | (env or {})
    full.pop("WIRESTREAM_TEST_PUBLISHED", None)
    if published is not None:
        full["WIRESTREAM_TEST_PUBLISHED"] = str(published)
    return full


def run_cli(args: list[str], *, data_dir: Path, published: Path | None = None,
            stdin: bytes | None = None, env: dict[str, str] | None = None,
            timeout: float = 60, prefix: list[str] | None = None,
            **popen) -> subprocess.CompletedProcess:
    """``wirestream ARGS`` in a subprocess with this checkout first on the path; ``prefix``
    wraps the interpreter (e.g. ``setpriv`` dropping capabilities)."""
    return subprocess.run([*(prefix or []), sys.executable, "-c", _LAUNCH, *args], input=stdin,
                          capture_output=True, env=_child_env(data_dir, published, env),
                          timeout=timeout, cwd=str(REPO), **popen)


def start_cli(args: list[str], *, data_dir: Path, published: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.Popen:
    """``run_cli`` without waiting: for a command the test interrupts (SIGINT = Ctrl-C)."""
    return subprocess.Popen([sys.executable, "-c", _LAUNCH, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_child_env(data_dir, published, env),
                            cwd=str(REPO))


def read_published(path: Path, topic: str = "raw") -> list[dict]:
    """What the file publisher was given for ``topic`` (``raw`` or ``dlq``), in order."""
    if not path.exists():
        return []
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return [r for r in rows if r["topic"] == topic]
