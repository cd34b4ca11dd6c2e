"""``wirestream dashboard`` on its default loopback bind answers only requests that name a loopback
host: before, a page on ``evil.example`` rebound to 127.0.0.1 was served (and, being same-origin
then, could read every story, dead letter and original). The real console script, real requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

WIRESTREAM = Path(sys.executable).parent / "wirestream"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_rebinding_host_is_refused_on_the_loopback_bind(tmp_path):
    port = free_port()
    env = os.environ | {"WIRESTREAM_DATA_DIR": str(tmp_path / "data"), "WIRESTREAM_ENV_FILE": os.devnull,
                        "WIRESTREAM_METRICS_PORT": "0"}
    proc = subprocess.Popen([str(WIRESTREAM), "dashboard", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                assert httpx.get(f"{base}/healthz", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
                time.sleep(0.1)
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
            r = httpx.get(f"{base}/api/stories", headers={"Host": host}, timeout=5)
            assert r.status_code == 400 and r.text == "Invalid host header", (host, r.status_code, r.text)
        for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
            r = httpx.get(f"{base}/api/stories", headers={"Host": host}, timeout=5)
            # no sink runs: the API's own answer ("waiting for the pipeline"), not the Host refusal
            assert r.status_code == 503 and "waiting for the pipeline" in r.json()["error"], (host, r.text)
    finally:
        proc.terminate()
        proc.wait(10)
