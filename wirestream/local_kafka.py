"""Python face of deploy/kafka/kafka.sh: the local single-node Apache Kafka (KRaft).

The shell script does the work (fetch jars with Maven, format storage once, start, wait,
stop); this module only calls it with the data directory and port from settings, then
confirms the broker answers a metadata request before saying it is up.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from wirecore.errors import FatalError
from wirecore.settings import Settings

SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "kafka" / "kafka.sh"


class LocalKafkaError(FatalError):
    pass


def _run(settings: Settings, action: str, timeout_s: float = 600) -> subprocess.CompletedProcess:
    if not SCRIPT.exists():
        raise LocalKafkaError(f"{SCRIPT} is missing; reinstall wirestream from a checkout")
    env = os.environ | {
        "KAFKA_DATA_DIR": str((settings.data_dir / "kafka").resolve()),
        "KAFKA_PORT": str(settings.kafka_port),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), action], env=env, capture_output=True, text=True, timeout=timeout_s
    )


def _last_line(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def start(settings: Settings) -> str:
    """Start (or reuse) the local broker; return its status line."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalKafkaError(f"data directory {settings.data_dir} is not usable: {exc.strerror}") from None
    if not os.access(settings.data_dir, os.W_OK):
        raise LocalKafkaError(f"data directory {settings.data_dir} is not writable")
    proc = _run(settings, "start")
    if proc.returncode != 0:
        raise LocalKafkaError(_last_line(proc).removeprefix("kafka.sh: "))
    wait_ready(settings)
    return proc.stdout.strip().splitlines()[-1]


def wait_ready(settings: Settings, timeout_s: float = 60.0) -> None:
    """Block until the broker answers a metadata request (the port alone can be open early)."""
    from confluent_kafka.admin import AdminClient

    client = AdminClient(settings.kafka_conf())
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        try:
            md = client.list_topics(timeout=5)
            if md.brokers:
                return
        except Exception as exc:  # noqa: BLE001 - any failure here just means "not yet"
            last = str(exc)
        time.sleep(0.5)
    raise LocalKafkaError(f"broker at {settings.bootstrap} did not answer metadata requests: {last}")


def stop(settings: Settings) -> str:
    proc = _run(settings, "stop", timeout_s=120)
    if proc.returncode != 0:
        raise LocalKafkaError(_last_line(proc))
    return proc.stdout.strip()


def status(settings: Settings) -> tuple[bool, str]:
    proc = _run(settings, "status", timeout_s=30)
    return proc.returncode == 0, proc.stdout.strip()
