"""Every exit code documented in docs/notes/api.md (the exit-code table), by running the real
``wirestream`` console script as a subprocess: exit code, one ``error:`` line, and that nothing
changed that should not have (``sql "DROP TABLE items"`` leaves the table there)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.hermetic import nothing_running_env
from tests.support.ports import free_port

pytestmark = pytest.mark.integration
WIRESTREAM = str(Path(sys.executable).parent / "wirestream")


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """Nothing running: no broker on the (free) Kafka port, a fresh data directory."""
    return nothing_running_env(tmp_path, WIRESTREAM_KAFKA_PORT=str(free_port()), WIRESTREAM_METRICS_PORT="0")


@pytest.fixture
def stored(env) -> dict[str, str]:
    """A data directory whose embedded database has the schema and one item (no sink running)."""
    path = Path(env["WIRESTREAM_DATA_DIR"]) / "chdb"
    seed = ("import sys; from wirecore.clickhouse import open_client, run_migrations;"
            "c = open_client('chdb://' + sys.argv[1]); run_migrations(c, 'wirestream');"
            "c.command(\"INSERT INTO wirestream.items (item_id) VALUES ('i1')\")")
    subprocess.run([sys.executable, "-c", seed, str(path.resolve())], env=env, check=True, timeout=120)
    return env


def run(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([WIRESTREAM, *args], env=env, capture_output=True, text=True, timeout=timeout)


def one_error_line(p: subprocess.CompletedProcess, *words: str) -> None:
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, p.stderr[-2000:]
    assert "Traceback" not in p.stderr, p.stderr[-2000:]
    for w in words:
        assert w in errors[0], errors[0]


def count_items(env) -> str:
    p = run(env, "sql", "--json", "SELECT count() AS n FROM items")
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


# -- 0 ok ------------------------------------------------------------------------------------
def test_version_exits_0(env):
    p = run(env, "--version")
    assert p.returncode == 0 and p.stdout.startswith("wirestream "), p


def test_sql_reads_the_configured_database_offline(stored):
    assert count_items(stored) == '{"n":1}'


def test_sql_write_changes_data_only_when_asked(stored):
    p = run(stored, "sql", "--write", "INSERT INTO items (item_id) VALUES ('i2')")
    assert p.returncode == 0, p.stderr
    assert count_items(stored) == '{"n":2}'


# -- 1 error ---------------------------------------------------------------------------------
def test_sql_error_from_clickhouse_exits_1(stored):
    p = run(stored, "sql", "SELECT no_such_column FROM items")
    assert p.returncode == 1, p
    one_error_line(p, "no_such_column")


def test_sql_without_a_database_exits_1(env):
    p = run(env, "sql", "SELECT 1")
    assert p.returncode == 1, p
    one_error_line(p, "run `wirestream up` first")


# -- 2 bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("statement", ["DROP TABLE items", "TRUNCATE TABLE items", "DROP DATABASE wirestream",
                                       "INSERT INTO items (item_id) VALUES ('x')"])
def test_offline_sql_is_read_only_without_write(stored, statement):
    p = run(stored, "sql", statement)
    assert p.returncode == 2, p
    one_error_line(p, "read-only", "--write")
    assert count_items(stored) == '{"n":1}'  # the table is still there, unchanged


@pytest.mark.parametrize(("args", "words"), [
    (("query", "nosuch"), ("unknown query 'nosuch'",)),
    (("query", "timeline"), ("--story-id",)),
])
def test_bad_arguments_exit_2(env, args, words):
    p = run(env, *args)
    assert p.returncode == 2, p
    one_error_line(p, *words)


def test_unknown_command_exits_2(env):
    p = run(env, "no-such-command")
    assert p.returncode == 2 and "No such command" in p.stderr, p


@pytest.mark.parametrize("command", ["sink", "worker"])
def test_unusable_data_dir_exits_2_at_once(env, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    t0 = time.monotonic()
    p = run(env | {"WIRESTREAM_DATA_DIR": str(blocker / "data")}, command, timeout=30)
    assert p.returncode == 2, p
    one_error_line(p, "not writable")
    assert time.monotonic() - t0 < 10


def test_data_dir_that_is_a_file_is_named_as_such(env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    p = run(env | {"WIRESTREAM_DATA_DIR": str(blocker)}, "sink", timeout=30)
    assert p.returncode == 2, p
    one_error_line(p, "is not a directory", "WIRESTREAM_DATA_DIR")


@pytest.mark.parametrize("command", [("sink",), ("status", "--once")])
@pytest.mark.parametrize(("dsn", "words"), [("nosuch://x", ("scheme must be one of",)),
                                           ("http://no-such-host.invalid:8123", ("does not resolve",))])
def test_wrong_dsn_exits_2_within_seconds(env, command, dsn, words):
    t0 = time.monotonic()
    p = run(env | {"WIRESTREAM_CLICKHOUSE_DSN": dsn}, *command, timeout=30)
    took = time.monotonic() - t0
    assert p.returncode == 2, p
    one_error_line(p, *words)
    assert took < 10, f"{took:.1f}s"


# -- 3 not running ---------------------------------------------------------------------------
def test_kafka_status_without_a_broker_exits_3(env):
    p = run(env, "kafka", "status")
    assert p.returncode == 3, p
    assert "not running" in p.stdout


def test_status_with_nothing_running_exits_3(env):
    p = run(env, "status", "--once", "--json", timeout=60)
    assert p.returncode == 3, p
    one_error_line(p, "unreachable", "is the pipeline running?")
    answer = json.loads(p.stdout)  # a script reading stdout gets an answer too
    assert answer["running"] is False and "unreachable" in answer["error"]


def test_status_json_says_running_false_when_the_broker_answers_but_no_stage_runs(stored, kafka_bootstrap):
    """A broker and a database but no worker or sink (``up`` stopped): the answer carries
    ``"running": false`` as the nothing-answers one does (the key was missing, so a script
    reading ``.running`` got null from every answer but that one)."""
    env = stored | {"WIRESTREAM_KAFKA_BOOTSTRAP": kafka_bootstrap,
                    "WIRESTREAM_TOPIC_PREFIX": f"t{os.getpid()}x{time.monotonic_ns()}."}
    p = run(env, "status", "--once", "--json", timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    answer = json.loads(p.stdout)
    assert answer["running"] is False and answer["sink"] is None
    assert answer["items_in_clickhouse"] == 1


# -- 130 interrupted -------------------------------------------------------------------------
def test_ctrl_c_exits_130(env):
    proc = subprocess.Popen([WIRESTREAM, "status", "--once"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # inside the wait for the (absent) broker
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
