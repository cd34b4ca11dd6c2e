"""Which layer of the read API stops what, measured on real chdb (one child process, its own
data directory: chdb opens one path per process).

The same attacks run twice: on a read handle alone (ClickHouse settings: readonly=1 and the
limits) and through ``ReadSession.query`` (the AST allow-list in front). The first column
shows what settings alone let through in chdb — the reason the allow-list exists.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

CHILD = r"""
import json, sys, time
from pathlib import Path
from wirecore.clickhouse import open_client, run_migrations, query_rows
from wirestream.read_session import ReadSession
from wirestream.sql_guard import ReadLimits

path = Path(sys.argv[1])
outfile = path.parent / "outfile.txt"
run_migrations(open_client(f"chdb://{path}"), "wirestream")
session = ReadSession(f"chdb://{path}", "wirestream", ReadLimits(max_execution_s=3, max_memory_bytes=200 << 20,
                                                                 max_result_rows=1000))
attacks = {
    "file_table": "SELECT * FROM file('/etc/passwd', 'LineAsString')",
    "file_scalar": "SELECT file('/etc/passwd')",
    "file_scalar_aliased": "SELECT file('/etc/passwd') AS p",
    "host_aliased": "SELECT hostName() AS h",
    "url": "SELECT * FROM url('http://127.0.0.1:9/x', 'CSV')",
    "s3": "SELECT * FROM s3('http://127.0.0.1:9/x.csv')",
    "remote": "SELECT * FROM remote('127.0.0.1:9000', system.one)",
    "system_table": "SELECT count() FROM system.tables",
    "drop": "DROP TABLE items",
    "settings_override": "SELECT 1 SETTINGS max_execution_time = 0",
    "into_outfile": f"SELECT 'pwned' INTO OUTFILE '{outfile}'",
    "endless": "SELECT count() FROM numbers(10000000000000)",
    "huge_memory": "SELECT length(groupArray(toString(number))) FROM numbers(100000000)",
    "huge_result": "SELECT number FROM numbers(100000)",
    "plain": "SELECT count() FROM items",
}
report = {}
for name, sql in attacks.items():
    for layer in ("settings", "session"):
        handle = session._pool.get()
        t0 = time.monotonic()
        try:
            if layer == "settings":
                rows = query_rows(handle, sql)[1]
            else:
                session._pool.put(handle)
                handle = None
                rows = session.query(sql)[1]
            verdict = "ran: " + str(rows)[:60]
        except Exception as exc:
            verdict = "refused: " + str(exc).strip().splitlines()[0][:160]
        finally:
            if handle is not None:
                session._give_back(handle, clean=False)
        report[f"{name}/{layer}"] = {"verdict": verdict, "s": round(time.monotonic() - t0, 2)}
    if name == "into_outfile":
        report["into_outfile/written"] = outfile.exists()
        outfile.unlink(missing_ok=True)
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("layers") / "chdb"
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for key, value in result.items():
        print(f"{key:28} {value}")
    return result


@pytest.mark.parametrize("name", ["file_table", "url", "s3", "remote", "drop", "settings_override"])
def test_readonly_setting_alone_stops(report, name):
    assert "READONLY" in report[f"{name}/settings"]["verdict"], report[f"{name}/settings"]


@pytest.mark.parametrize(("name", "code"), [("endless", "TIMEOUT_EXCEEDED"), ("huge_memory", "Code: 241"),
                                            ("huge_result", "TOO_MANY_ROWS_OR_BYTES")])
def test_limits_stop_runaway_reads(report, name, code):
    assert code in report[f"{name}/settings"]["verdict"], report[f"{name}/settings"]


def test_endless_scan_is_cut_at_the_time_limit(report):
    assert 2.9 <= report["endless/settings"]["s"] <= 5, report["endless/settings"]


@pytest.mark.parametrize("name", ["file_scalar", "file_scalar_aliased", "system_table", "into_outfile"])
def test_settings_alone_let_these_through_in_chdb(report, name):
    """Why the allow-list exists: readonly=1 does not stop these in chdb."""
    assert report[f"{name}/settings"]["verdict"].startswith("ran"), report[f"{name}/settings"]


def test_into_outfile_writes_a_file_without_the_allow_list(report):
    assert report["into_outfile/written"] is True


@pytest.mark.parametrize("name", ["file_table", "file_scalar", "file_scalar_aliased", "host_aliased", "url", "s3",
                                  "remote", "system_table", "drop", "settings_override", "into_outfile", "endless",
                                  "huge_memory", "huge_result"])
def test_the_session_refuses_every_attack(report, name):
    assert report[f"{name}/session"]["verdict"].startswith("refused"), report[f"{name}/session"]


def test_plain_reads_pass_both_layers(report):
    assert report["plain/settings"]["verdict"] == report["plain/session"]["verdict"] == "ran: [(0,)]"
