"""The worker's HTTP server: bound to the configured host, /readyz follows the stages'
health, and nothing but the three endpoints answers (no faust table or debug pages)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import orjson
import pytest

from processors.health import WorkerHealth
from processors.web import serve
from tests.support.ports import free_port


def non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
        except OSError:
            return None
        addr = s.getsockname()[0]
    return None if addr.startswith("127.") else addr


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_endpoints_and_readiness():
    health, port = WorkerHealth(), free_port()
    server = serve("127.0.0.1", port, health)
    try:
        assert get(port, "/healthz")[0] == 200
        assert get(port, "/readyz")[0] == 503  # no stage started yet
        health.started("parse")
        health.started("stories")
        status, body = get(port, "/readyz")
        assert status == 200 and orjson.loads(body)["ready"]
        health.paused("stories", "kafka", "all brokers down", 1.0)
        status, body = get(port, "/readyz")
        assert status == 503 and orjson.loads(body)["stages"]["stories"]["reason"] == "kafka: all brokers down"
        assert b"wirestream_stage_paused" in get(port, "/metrics")[1]
        assert get(port, "/table/story-state")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_binds_only_the_configured_host():
    port = free_port()
    server = serve("127.0.0.1", port, WorkerHealth())
    try:
        assert server.server_address[0] == "127.0.0.1"
        other = non_loopback_address()
        if other is None:
            pytest.skip("no non-loopback address on this machine")
        with pytest.raises(OSError), socket.create_connection((other, port), timeout=2):
            pass
    finally:
        server.shutdown()
        server.server_close()
