"""The sink, started with the deploy's environment, answers /metrics, /healthz and /readyz on
this machine's non-loopback address — and nothing else of it answers there: the SQL read API
listens on 127.0.0.1 only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.paths import REPO
from tests.support.ports import free_port
from tests.support.waiting import wait_until
from wirestream.owner_api import read_owner

pytestmark = pytest.mark.integration


def outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if not loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.123", 9))
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def listening_ports(pid: int) -> dict[int, str]:
    """TCP ports the process listens on -> local address (from /proc, IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found: dict[int, str] = {}
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # LISTEN
                addr, port = f[1].rsplit(":", 1)
                found[int(port, 16)] = addr
    return found


def test_sink_listens_beyond_loopback_only_for_health_and_metrics(tmp_path, kafka_bootstrap):
    ip = outward_address()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    deploy_env = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())["x-wirestream-env"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESTREAM_")} | {
        k: str(v) for k, v in deploy_env.items()} | {
        # what cannot be the deploy's here: no ClickHouse server (embedded instead), our broker
        "WIRESTREAM_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "WIRESTREAM_TOPIC_PREFIX": f"binds{time.time_ns() % 10**8}.",
        "WIRESTREAM_DATA_DIR": str(tmp_path / "data"),
        "WIRESTREAM_METRICS_PORT": str(port),
        "WIRESTREAM_ENV_FILE": os.devnull,
    }
    env.pop("WIRESTREAM_CLICKHOUSE_DSN")
    assert env["WIRESTREAM_HTTP_HOST"] == "0.0.0.0"
    log = tmp_path / "sink.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "wirestream"), "sink"], env=env,
                                stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        owner = wait_until(lambda: read_owner(tmp_path / "data"), 120, "the sink's SQL API",
                           detail=lambda: log.read_text()[-2000:])
        base = f"http://{ip}:{port}"
        assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "alive"}
        assert "wirestream_" in httpx.get(f"{base}/metrics", timeout=5).text
        assert httpx.get(f"{base}/readyz", timeout=15).status_code in (200, 503)  # answers, either way
        assert httpx.post(f"{base}/sql", json={"sql": "SELECT 1"}, timeout=5).status_code == 404

        api_port = int(owner["url"].rsplit(":", 1)[1])
        with pytest.raises(httpx.ConnectError):
            httpx.post(f"http://{ip}:{api_port}/sql", json={"sql": "SELECT 1"}, timeout=5)
        ports = listening_ports(proc.pid)
        wildcard = {"00000000", "00000000000000000000000000000000"}
        beyond_loopback = {p for p, addr in ports.items() if addr in wildcard or not addr.endswith("7F")}
        assert beyond_loopback == {port}, f"listening beyond loopback: {ports}"
        assert ports[api_port] == "0100007F"  # 127.0.0.1
    finally:
        proc.terminate()
        proc.wait(30)
