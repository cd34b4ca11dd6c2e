"""What an operator sees when the world around a long-running command is wrong: no broker,
a data directory another process holds, a stop while waiting, a first start cut off in the
middle of creating the schema. Each runs the real ``wirestream`` console script as a
subprocess and checks its exit code, its one ``error:`` line or its ``/readyz``. No broker is
needed: Kafka is a port nothing listens on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.hermetic import nothing_running_env
from tests.support.ports import free_port, free_port_pair
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
WIRESTREAM = str(Path(sys.executable).parent / "wirestream")


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return nothing_running_env(tmp_path, WIRESTREAM_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}",
                               WIRESTREAM_METRICS_PORT=str(free_port_pair()), WIRESTREAM_API_PORT="0")


class Running:
    """``wirestream ARGS`` in the background, its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        self.proc = subprocess.Popen([WIRESTREAM, *args], env=env, stdout=log.open("wb"),
                                     stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as a supervisor stops it; the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def owned(env: dict[str, str]) -> bool:
    return (Path(env["WIRESTREAM_DATA_DIR"]) / "chdb.owner.json").exists()


def test_a_parse_worker_without_a_broker_is_not_ready(env, tmp_path):
    """Its loop polls empty, without an error, while no broker answers: /readyz said 200
    "ready" for the whole outage (at start here; mid-run the same)."""
    worker = Running(["worker"], env | {"WIRESTREAM_WORKER_STAGES": "parse"}, tmp_path / "worker.log")
    url = f"http://127.0.0.1:{int(env['WIRESTREAM_METRICS_PORT']) + 1}/readyz"

    def unready():
        try:
            r = httpx.get(url, timeout=2)
        except httpx.TransportError:
            return None
        return r if r.status_code == 503 else None

    try:
        r = wait_until(unready, 30, "/readyz to say 503", interval=0.5, detail=worker.text)
        reason = r.json()["stages"]["parse"]["reason"]
        assert reason.startswith("kafka: the broker does not answer"), reason
        assert worker.stop() == 0
    finally:
        worker.kill()


def test_a_worker_without_a_broker_logs_in_its_format_not_every_reconnect(env, tmp_path):
    """librdkafka printed its own lines to stderr, past --log-json: ~20 a second per
    consumer while the broker is away (572 lines in 30 s from one parse worker)."""
    worker = Running(["--log-json", "worker"], env | {"WIRESTREAM_WORKER_STAGES": "parse"},
                     tmp_path / "worker.log")
    try:
        wait_until(lambda: "Connection refused" in worker.text(), 30, "a reconnect to fail", detail=worker.text)
        time.sleep(6)
        assert worker.stop() == 0
    finally:
        worker.kill()
    lines = worker.text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    refused = [e for e in entries if "Connection refused" in e["message"]]
    assert 1 <= len(refused) <= 4, lines  # one per client: its consumer and its producer
    assert {e["logger"] for e in refused} == {"wirestream.kafka"}


def test_a_second_sink_on_the_same_data_dir_is_refused_at_once(env, tmp_path):
    """chdb locks its directory: the second sink retried the lock for ever, logging an
    unrelated chdb error ("Error initializing EmbeddedServer") and serving no /readyz."""
    first = Running(["sink"], env, tmp_path / "first.log")
    try:
        wait_until(lambda: owned(env), 60, "the first sink to own the database", detail=first.text)
        t0 = time.monotonic()
        second = subprocess.run([WIRESTREAM, "sink"], env=env | {"WIRESTREAM_METRICS_PORT": str(free_port())},
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2, second.stderr
        assert time.monotonic() - t0 < 20
        assert f"error: a sink (pid {first.proc.pid}) already owns the embedded database" in second.stderr
        assert "Traceback" not in second.stderr
        assert first.stop() == 0
    finally:
        first.kill()


def test_sigterm_while_the_sink_waits_for_clickhouse_exits_0(env, tmp_path):
    """Another process holds the chdb directory, so the sink waits; a supervisor's SIGTERM
    then was `error: cannot open ClickHouse ...` and exit 1, as if it had failed."""
    chdb = (Path(env["WIRESTREAM_DATA_DIR"]) / "chdb").resolve()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import time, clickhouse_connect;"
        f"c = clickhouse_connect.get_client(dsn='chdb://{chdb}');"
        "c.query('SELECT 1'); print('locked', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "locked"
        sink = Running(["sink"], env, tmp_path / "sink.log")
        try:
            wait_until(lambda: "cannot open ClickHouse" in sink.text(), 60, "the sink to wait for the lock",
                       detail=sink.text)
            assert sink.stop() == 0, sink.text()
            assert "error:" not in sink.text()
            assert "sink stopped before ClickHouse answered" in sink.text()
        finally:
            sink.kill()
    finally:
        holder.kill()
        holder.wait(10)


INTERRUPTED_INSTALL = """
import os, sys
from wirecore.clickhouse import open_client
from wirecore.migrations import run_migrations
client = open_client("chdb://" + sys.argv[1])
real, n = client.command, [0]
def command(*a, **kw):
    n[0] += 1
    if n[0] > int(sys.argv[2]):
        os._exit(137)  # killed (SIGKILL, OOM, an evicted pod) before this statement
    return real(*a, **kw)
client.command = command
run_migrations(client, "wirestream")
"""


def test_a_first_start_killed_while_creating_the_schema_is_finished_by_the_next(env, tmp_path):
    """A first start killed after its first table statement recorded migrations whose objects
    were never created; every later start failed (`Could not find table: items`), with a
    traceback."""
    from schemas.ddl import expected_objects

    chdb = (Path(env["WIRESTREAM_DATA_DIR"]) / "chdb").resolve()
    killed = subprocess.run([sys.executable, "-c", INTERRUPTED_INSTALL, str(chdb), "2"], env=env, timeout=60)
    assert killed.returncode == 137
    sink = Running(["sink"], env, tmp_path / "sink.log")
    try:
        wait_until(lambda: owned(env) or sink.proc.poll() is not None, 60, "the sink to start", detail=sink.text)
        assert sink.proc.poll() is None, sink.text()
        assert sink.stop() == 0
    finally:
        sink.kill()
    assert "Traceback" not in sink.text()
    tables = subprocess.run([WIRESTREAM, "sql", "--json", "SELECT name FROM system.tables "
                             "WHERE database = 'wirestream'"], env=env, capture_output=True, text=True, timeout=60)
    assert tables.returncode == 0, tables.stderr
    assert set(expected_objects()) <= {line.split('"')[3] for line in tables.stdout.splitlines()}


def test_a_schema_step_that_cannot_apply_is_one_error_line(env, tmp_path):
    """A database whose records say 001-005 are applied although none of their tables exist
    (what the interrupted first start above left behind before the fix): the sink stops with
    one `error:` line naming the ClickHouse error, not a traceback."""
    chdb = (Path(env["WIRESTREAM_DATA_DIR"]) / "chdb").resolve()
    seed = ("import sys; from wirecore.clickhouse import open_client;"
            "c = open_client('chdb://' + sys.argv[1]); c.command('CREATE DATABASE wirestream');"
            "c.command(\"CREATE TABLE wirestream.schema_migrations (name String, applied_at DateTime64(3, 'UTC') "
            "DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY name\");"
            "c.command(\"INSERT INTO wirestream.schema_migrations (name) VALUES ('001_items'), ('002_stories'), "
            "('003_story_items'), ('004_dlq'), ('005_views')\")")
    subprocess.run([sys.executable, "-c", seed, str(chdb)], env=env, check=True, timeout=60)
    run = subprocess.run([WIRESTREAM, "sink"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: applying the schema: "), run.stderr
    assert "UNKNOWN_TABLE" in errors[0]


def test_another_shard_count_than_the_topics_have_is_refused(ws_env):
    """WIRESTREAM_ITEMS_PARTITIONS changed after the topics were created: `topics` said "all
    topics exist" (exit 0), and the worker's parse stage sent a Dutch item to wire.items
    partition 5 of 4 and retried "Unknown partition" for ever, every later item waiting
    behind it (other languages silently moved to another shard's engine)."""
    env = dict(os.environ) | {"WIRESTREAM_ENV_FILE": os.devnull, "WIRESTREAM_ITEMS_PARTITIONS": "2"}
    created = subprocess.run([WIRESTREAM, "topics"], env=env, capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    items = ws_env["WIRESTREAM_TOPIC_PREFIX"] + "wire.items"
    for command in (["topics"], ["worker"]):
        run = subprocess.run([WIRESTREAM, *command], env=env | {"WIRESTREAM_ITEMS_PARTITIONS": "3"},
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, (command, run.stderr)
        assert run.stderr.startswith(f"error: {items} has 2 partitions but WIRESTREAM_ITEMS_PARTITIONS is 3: "
                                     "set it to 2"), run.stderr


def test_a_sink_waiting_for_clickhouse_is_alive_and_says_why_it_is_not_ready(env, tmp_path):
    """Its listener started only once ClickHouse answered: while it waited (a ClickHouse
    server still starting) /healthz refused connections, so the kubelet's liveness probe
    (deploy/k8s/sink.yaml) restarted it over and over, and /readyz could not say why."""
    dsn = f"http://wirestream:s3cret@127.0.0.1:{free_port()}"
    sink = Running(["sink"], env | {"WIRESTREAM_CLICKHOUSE_DSN": dsn}, tmp_path / "sink.log")
    base = f"http://127.0.0.1:{env['WIRESTREAM_METRICS_PORT']}"

    def answers():
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, 30, "/healthz while ClickHouse does not answer", detail=sink.text)
        r = httpx.get(f"{base}/readyz", timeout=10)
        assert r.status_code == 503
        (reason,) = r.json()["reasons"]
        assert reason.startswith("clickhouse: cannot open ClickHouse at http://wirestream:***@127.0.0.1:"), reason
        assert "s3cret" not in r.text
        assert sink.stop() == 0
    finally:
        sink.kill()


def test_a_worker_with_metrics_port_0_listens_on_a_free_port(ws_env, tmp_path):
    """WIRESTREAM_METRICS_PORT=0 (any free port) made the worker listen on 0 + 1: port 1,
    privileged (refused to a normal user; taken as root) and announced as such."""
    env = dict(os.environ) | {"WIRESTREAM_ENV_FILE": os.devnull, "WIRESTREAM_METRICS_PORT": "0",
                              "WIRESTREAM_WORKER_STAGES": "parse"}
    worker = Running(["worker"], env, tmp_path / "worker.log")
    try:
        line = wait_until(lambda: next((x for x in worker.text().splitlines() if " on port " in x), None), 30,
                          "the worker to say where it listens", detail=worker.text)
        port = int(line.split(" on port ")[1].split(",")[0])
        assert port > 1024, line
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        assert worker.stop() == 0
    finally:
        worker.kill()
