"""Bad settings, flags and DSNs as a user meets them: the console script as a subprocess,
one ``error:`` line on stderr, the exit code of README's table, nothing created or started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.paths import REPO
from wirecore.errors import UsageError
from wirestream import context

SLOW = 60  # seconds a subprocess may take before the test calls it a hang


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    """``wirestream ARGS`` in ``tmp_path`` (where a stray file would land), data in tmp_path/data."""
    base = dict(os.environ) | {"WIRESTREAM_DATA_DIR": str(tmp_path / "data"),
                               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", "from wirestream.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=tmp_path, env=base | (env or {}),
                          timeout=SLOW, **kw)


def one_error(proc: subprocess.CompletedProcess, code: int, *says: str) -> str:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for s in says:
        assert s in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "f.jsonl"
    path.write_text('{"headline": "x", "published_at": "2026-01-01T00:00:00Z"}\n')
    return path


# -- 1. log level, env file encoding ---------------------------------------------------------
@pytest.mark.parametrize(("args", "env"), [(["--log-level", "LOUD"], {}), ([], {"WIRESTREAM_LOG_LEVEL": "LOUD"})])
def test_an_unknown_log_level_is_a_usage_error(tmp_path, feed, args, env):
    one_error(run(tmp_path, *args, "parse", str(feed), env=env), 2, "WIRESTREAM_LOG_LEVEL='LOUD'", "'DEBUG'")


def test_a_log_level_in_any_case_still_works(tmp_path, feed):
    assert run(tmp_path, "--log-level", "debug", "parse", str(feed)).returncode == 0


def test_an_env_file_that_is_not_utf8_is_named(tmp_path, feed):
    (tmp_path / ".env").write_bytes(b"\xff\xfe x\n")
    one_error(run(tmp_path, "parse", str(feed), env={"WIRESTREAM_ENV_FILE": str(tmp_path / ".env")}),
              2, str(tmp_path / ".env"), "not UTF-8")


def test_the_default_env_file_in_the_current_directory_is_checked_too(tmp_path, feed):
    (tmp_path / ".env").write_bytes(b"\xff\xfe x\n")
    env = {k: v for k, v in os.environ.items() if k != "WIRESTREAM_ENV_FILE"}
    proc = subprocess.run([sys.executable, "-c", "from wirestream.cli import main; main()", "parse", str(feed)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=SLOW,
                          env=env | {"PYTHONPATH": str(REPO), "WIRESTREAM_DATA_DIR": str(tmp_path / "data")})
    one_error(proc, 2, ".env", "not UTF-8")


# -- 2. number settings: declared ranges, no NaN or infinity ------------------------------------
def test_a_nan_fetch_deadline_is_refused_not_a_hang(tmp_path):
    """Before: NaN disabled the deadline and a slow server kept ``parse`` waiting for ever."""
    one_error(run(tmp_path, "parse", "http://127.0.0.1:9/slow", env={"WIRESTREAM_FETCH_DEADLINE_S": "nan"}),
              2, "WIRESTREAM_FETCH_DEADLINE_S='nan'", "finite")


def test_negative_partitions_create_no_topics(tmp_path):
    one_error(run(tmp_path, "topics", env={"WIRESTREAM_ITEMS_PARTITIONS": "-1"}),
              2, "WIRESTREAM_ITEMS_PARTITIONS='-1'", "allowed: at least 1")


@pytest.mark.parametrize(("env", "value", "allowed"), [
    ("WIRESTREAM_FETCH_DEADLINE_S", "nan", "more than 0"),
    ("WIRESTREAM_FETCH_DEADLINE_S", "inf", "more than 0"),
    ("WIRESTREAM_FETCH_DEADLINE_S", "-5", "more than 0"),
    ("WIRESTREAM_FETCH_DEADLINE_S", "0", "more than 0"),
    ("WIRESTREAM_MAX_ITEM_BYTES", "0", "at least 1"),
    ("WIRESTREAM_MAX_ITEM_BYTES", "-1", "at least 1"),
    ("WIRESTREAM_MAX_DOCUMENT_BYTES", "0", "at least 1"),
    ("WIRESTREAM_ITEMS_PARTITIONS", "-1", "at least 1"),
    ("WIRESTREAM_TOPIC_PARTITIONS", "0", "at least 1"),
    ("WIRESTREAM_STORIES_PARTITIONS", "0", "at least 1"),
    ("WIRESTREAM_TOPIC_REPLICATION", "0", "at least 1"),
    ("WIRESTREAM_KAFKA_PORT", "99999", "1 to 65534"),
    ("WIRESTREAM_KAFKA_PORT", "0", "1 to 65534"),
    ("WIRESTREAM_METRICS_PORT", "70000", "0 to 65470"),
    ("WIRESTREAM_WORKER_PORT", "0", "1 to 65535"),
    ("WIRESTREAM_DASHBOARD_PORT", "-1", "1 to 65535"),
    ("WIRESTREAM_API_PORT", "65536", "0 to 65535"),
    ("WIRESTREAM_STORY_IDLE_HOURS", "-1", "more than 0"),
    ("WIRESTREAM_STORY_IDLE_HOURS", "nan", "more than 0"),
    ("WIRESTREAM_FUTURE_TOLERANCE_S", "-1", "at least 0"),
    ("WIRESTREAM_CLICKHOUSE_TTL_DAYS", "0", "at least 1"),
    ("WIRESTREAM_SINK_BATCH_ROWS", "0", "at least 1"),
    ("WIRESTREAM_SINK_BATCH_BYTES", "0", "at least 1"),
    ("WIRESTREAM_SINK_BATCH_MS", "0", "at least 1"),
    ("WIRESTREAM_API_QUERY_TIMEOUT_S", "inf", "more than 0"),
    ("WIRESTREAM_API_MAX_MEMORY_BYTES", "0", "at least 1"),
    ("WIRESTREAM_API_MAX_RESULT_ROWS", "0", "at least 1"),
    ("WIRESTREAM_READY_MAX_LAG", "-1", "at least 0"),
])
def test_a_number_setting_out_of_range_names_the_variable_and_the_range(monkeypatch, env, value, allowed):
    monkeypatch.setenv(env, value)
    context.set_overrides()
    with pytest.raises(UsageError) as exc:
        context.settings()
    assert f"invalid setting: {env}='{value}'" in str(exc.value)
    assert f"(allowed: {allowed})" in str(exc.value)


@pytest.mark.parametrize("database", ["x; DROP TABLE y", "1abc", "a-b", ""])
def test_the_database_setting_must_be_an_identifier(monkeypatch, database):
    monkeypatch.setenv("WIRESTREAM_CLICKHOUSE_DATABASE", database)
    context.set_overrides()
    with pytest.raises(UsageError, match="WIRESTREAM_CLICKHOUSE_DATABASE"):
        context.settings()


# -- 3. secret files and the env file ------------------------------------------------------
def test_a_missing_kafka_password_file_does_not_stop_parse(tmp_path, feed):
    proc = run(tmp_path, "parse", str(feed), env={"WIRESTREAM_KAFKA_SASL_PASSWORD_FILE": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr


def test_a_missing_kafka_password_file_is_named_by_a_kafka_command(tmp_path):
    one_error(run(tmp_path, "topics", env={"WIRESTREAM_KAFKA_SASL_MECHANISM": "PLAIN",
                                           "WIRESTREAM_KAFKA_SASL_PASSWORD_FILE": "/nonexistent"}),
              2, "WIRESTREAM_KAFKA_SASL_PASSWORD_FILE='/nonexistent'", "No such file")


def test_a_missing_dsn_file_is_named(tmp_path):
    one_error(run(tmp_path, "sql", "SELECT 1", env={"WIRESTREAM_CLICKHOUSE_DSN_FILE": "/nonexistent"}),
              2, "WIRESTREAM_CLICKHOUSE_DSN_FILE='/nonexistent'")


def test_a_named_env_file_that_does_not_exist_is_an_error(tmp_path, feed):
    one_error(run(tmp_path, "parse", str(feed), env={"WIRESTREAM_ENV_FILE": "/nonexistent.env"}),
              2, "WIRESTREAM_ENV_FILE='/nonexistent.env'")


def test_a_named_env_file_is_read(tmp_path, feed):
    (tmp_path / "my.env").write_text("WIRESTREAM_FETCH_DEADLINE_S=nan\n")
    one_error(run(tmp_path, "parse", str(feed), env={"WIRESTREAM_ENV_FILE": str(tmp_path / "my.env")}),
              2, "WIRESTREAM_FETCH_DEADLINE_S='nan'")


# -- 4. DSNs of sql and query: checked like status's, no client warnings ---------------------
@pytest.mark.parametrize(("dsn", "says"), [
    ("not a dsn", "scheme must be one of"),
    ("ftp://x", "scheme must be one of"),
    ("http://no-such-host.invalid:8123", "does not resolve"),
])
@pytest.mark.parametrize("command", [["sql", "SELECT 1"], ["query", "stories"]])
def test_a_dsn_that_cannot_be_right_is_bad_input(tmp_path, dsn, says, command):
    one_error(run(tmp_path, *command, env={"WIRESTREAM_CLICKHOUSE_DSN": dsn}), 2, says)


def test_an_unreachable_server_is_one_line_without_retry_warnings(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    one_error(run(tmp_path, "sql", "SELECT 1", env={"WIRESTREAM_CLICKHOUSE_DSN": f"http://127.0.0.1:{port}"}),
              1, "cannot open ClickHouse")


# -- 5. data directory, embedded paths --------------------------------------------------------
def test_an_empty_data_dir_flag_is_refused(tmp_path, feed):
    one_error(run(tmp_path, "--data-dir", "", "parse", str(feed)), 2, "--data-dir is empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.jsonl"]


def test_an_empty_data_dir_variable_is_refused(tmp_path, feed):
    one_error(run(tmp_path, "parse", str(feed), env={"WIRESTREAM_DATA_DIR": ""}), 2, "WIRESTREAM_DATA_DIR=''")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.jsonl"]


@pytest.mark.parametrize("command", [["sql", "SELECT 1"], ["query", "stories"], ["status", "--once"]])
def test_a_chdb_dsn_at_a_missing_path_is_not_created_by_readers(tmp_path, command):
    missing = tmp_path / "nowhere" / "x"
    one_error(run(tmp_path, *command, env={"WIRESTREAM_CLICKHOUSE_DSN": f"chdb://{missing}"}),
              2, f"no embedded database at {missing}")
    assert not (tmp_path / "nowhere").exists()


# -- 6. ddl ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "says"), [
    (["--ttl-days", "-5"], "TTL of -5 day(s)"),
    (["--ttl-days", "0"], "TTL of 0 day(s)"),
    (["--database", "x; DROP TABLE y"], "not a ClickHouse identifier"),
    (["--cluster", "a'b"], "not a cluster name"),
    (["--cluster", "a\\1b"], "not a cluster name"),
])
def test_ddl_refuses_values_it_would_paste_unchecked(tmp_path, args, says):
    proc = run(tmp_path, "ddl", *args)
    one_error(proc, 2, says)
    assert proc.stdout == ""


def test_ddl_still_takes_macros_and_a_ttl(tmp_path):
    proc = run(tmp_path, "ddl", "--cluster", "{cluster}", "--ttl-days", "7", "--database", "news_1")
    assert proc.returncode == 0, proc.stderr
    assert "ON CLUSTER '{cluster}'" in proc.stdout and "INTERVAL 7 DAY" in proc.stdout
    assert "CREATE DATABASE IF NOT EXISTS news_1 ON CLUSTER" in proc.stdout


# -- 7. SIGTERM on up --------------------------------------------------------------------------
def test_sigterm_on_up_exits_143(tmp_path):
    """``up`` terminated while it fetches its source (a server that never answers): 128 + 15."""
    connected = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        conn, _ = server.accept()
        held.append(conn)
        connected.set()

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/slow"
    env = dict(os.environ) | {"WIRESTREAM_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO),
                              "WIRESTREAM_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    proc = subprocess.Popen([sys.executable, "-c", "from wirestream.cli import main; main()", "up", url],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert connected.wait(SLOW), "up never fetched its source"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=SLOW)
        assert proc.returncode == 128 + signal.SIGTERM, stderr
        assert "Traceback" not in stderr
    finally:
        proc.kill()
        for c in held:
            c.close()
        server.close()


# -- 8. query: nothing found, bad numbers -----------------------------------------------------
@pytest.mark.parametrize(("args", "says"), [(["--limit", "-1"], "--limit must be 1 or more"),
                                            (["--limit", "0"], "--limit must be 1 or more"),
                                            (["--hours", "-5"], "--hours must be 1 or more")])
def test_query_refuses_negative_numbers_up_front(tmp_path, args, says):
    one_error(run(tmp_path, "query", "places", *args), 2, says)


class EmptyReader:
    def query(self, sql: str, parameters: dict | None = None) -> tuple[list[str], list[list]]:
        return ["item_id"], []


@pytest.mark.parametrize(("args", "says"), [(["timeline", "--story-id", "nosuch"], "no story 'nosuch'"),
                                            (["versions", "--item-id", "nosuch"], "no item 'nosuch'")])
def test_a_story_or_item_that_is_not_there_is_said(monkeypatch, capsys, tmp_path, args, says):
    from wirestream import cli

    monkeypatch.setattr(cli, "open_checked_reader", lambda s, write=False: EmptyReader())
    monkeypatch.setattr(sys, "argv", ["wirestream", "--data-dir", str(tmp_path), "query", *args])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    assert says in capsys.readouterr().err


@pytest.mark.parametrize(("statement", "says"), [
    ("  ;", "empty SQL statement"),
    ("SELECT 1 FORMAT JSON", "drop the FORMAT clause"),
    ("select 1 format JSONEachRow;", "drop the FORMAT clause"),
])
def test_sql_says_what_is_wrong_with_the_statement_itself(tmp_path, statement, says):
    """The client turned these into errors about text the person never wrote (its own probe
    query, its own FORMAT Native); they are refused before any connection."""
    one_error(run(tmp_path, "sql", statement), 2, says)
