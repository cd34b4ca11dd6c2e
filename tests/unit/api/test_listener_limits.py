"""The sink's two listeners (wirestream/owner_api.py) against clients that misbehave on the wire:
real servers on loopback, raw sockets as the client. Before these limits a client that sent a
header byte now and then, or fewer body bytes than it announced, held a thread for ever, and a
``Content-Length`` of ``-1`` read the body to the end of the stream, past ``MAX_BODY_BYTES``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from wirestream.owner_api import HealthServer, SqlApiServer

DEADLINE_S = 1.0


@pytest.fixture
def health() -> Iterator[HealthServer]:
    server = HealthServer(lambda: (True, []), "127.0.0.1", 0, request_deadline_s=DEADLINE_S)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[SqlApiServer]:
    server = SqlApiServer(lambda sql, params, gone: (["one"], [[1]]), tmp_path, 0, request_deadline_s=DEADLINE_S)
    server.start()
    yield server
    server.stop()


def closed_after(port: int, first: bytes, drip: bytes = b"", every_s: float = 0.2, limit_s: float = 6) -> float:
    """Send ``first``, then ``drip`` one byte every ``every_s``; seconds until the server hangs up."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(first)
        sock.settimeout(every_s)
        while time.monotonic() - t0 < limit_s:
            try:
                if sock.recv(65536) == b"":
                    return time.monotonic() - t0
            except TimeoutError:
                pass
            except ConnectionResetError:
                return time.monotonic() - t0
            try:
                if drip:
                    sock.sendall(drip[:1])
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - t0
    raise AssertionError(f"the server still held the connection after {limit_s} s")


def test_a_slowloris_client_is_cut_at_the_request_deadline_and_others_are_served(health):
    port = health.httpd.server_address[1]
    took: list[float] = []
    attackers = [threading.Thread(target=lambda: took.append(
        closed_after(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ", drip=b"a"))) for _ in range(5)]
    for t in attackers:
        t.start()
    time.sleep(0.3)
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json() == {"status": "alive"}
    for t in attackers:
        t.join(10)
    assert len(took) == 5 and all(DEADLINE_S - 0.1 <= s <= DEADLINE_S + 1.5 for s in took), took
    # one that sends nothing at all goes the same way
    assert closed_after(port, b"") <= DEADLINE_S + 1.5


def raw_post(api: SqlApiServer, content_length: str, body: bytes) -> tuple[bytes, float]:
    head = (f"POST /sql HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {api.token}\r\nContent-Length: {content_length}\r\n\r\n").encode()
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", api.port), timeout=6) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer, time.monotonic() - t0


@pytest.mark.parametrize("length", ["-1", "abc", "", "+5", "١٢"])
def test_a_content_length_that_is_not_a_size_is_refused(api, capfd, length):
    answer, took = raw_post(api, length, b'{"sql": "SELECT 1"}')
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 411 "), answer
    assert orjson.loads(body) == {"error": "Content-Length must be the body's size in bytes"}
    assert took < DEADLINE_S, took  # answered at once, not after reading to the end of the stream
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_shorter_than_announced_is_cut_at_the_request_deadline(api, capfd):
    answer, took = raw_post(api, "100", b'{"sql": ')
    assert answer == b"" and DEADLINE_S - 0.1 <= took <= DEADLINE_S + 1.5, (answer, took)
    ok = httpx.post(f"{api.url}/sql", content=orjson.dumps({"sql": "SELECT 1"}), timeout=3,
                    headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"})
    assert ok.json() == {"columns": ["one"], "rows": [[1]]}
    assert "Traceback" not in capfd.readouterr().err


def test_a_connection_flood_gets_503_past_the_cap_and_the_listener_recovers(monkeypatch):
    """Past ``MAX_CONNECTIONS`` open connections (each a thread) a new one is answered 503 at
    once and closed, instead of one more thread; once the holders leave, requests are served."""
    import wirestream.owner_api as owner_api

    monkeypatch.setattr(owner_api, "MAX_CONNECTIONS", 3)
    server = HealthServer(lambda: (True, []), "127.0.0.1", 0, request_deadline_s=5.0)
    server.start()
    port = server.httpd.server_address[1]
    holders = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        time.sleep(0.3)  # accepted: each holds a thread, waiting for its request line
        t0 = time.monotonic()
        with socket.create_connection(("127.0.0.1", port)) as extra:
            extra.settimeout(3)
            answer = extra.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"too many connections" in answer and time.monotonic() - t0 < 2
        assert threading.active_count() < 20
    finally:
        for sock in holders:
            sock.close()
    deadline = time.monotonic() + 5
    while True:  # the holders' threads see EOF and give their slots back
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            if response.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the listener never recovered"
        time.sleep(0.1)
    assert response.json() == {"status": "alive"}
    server.stop()
