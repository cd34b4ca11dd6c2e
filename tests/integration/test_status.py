"""``wirestream status --once --json`` against the real broker and chdb after ``up``."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from tests.support.paths import SAMPLE_PAGE

pytestmark = pytest.mark.integration
FETCHED = "2026-01-24T18:00:00+01:00"


def wirestream(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wirestream.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ))


def test_status_once_json_after_up(ws_env, tmp_path):
    up = wirestream("up", str(SAMPLE_PAGE), "--fetched-at", FETCHED, "--json")
    assert up.returncode == 0, up.stderr[-3000:]
    proc = wirestream("status", "--once", "--json", timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    st = orjson.loads(proc.stdout)
    prefix = ws_env["WIRESTREAM_TOPIC_PREFIX"]
    assert st["topics"][f"{prefix}wire.raw"]["high_watermark"] == 8
    assert st["topics"][f"{prefix}wire.items"]["partitions"] == 4  # story shards (items_partitions)
    assert all(g["total"] == 0 for g in st["lag"].values()), st["lag"]
    assert set(st["lag"]) == {f"{prefix}wirestream-processors", f"{prefix}wirestream-stories",
                              f"{prefix}wirestream-sink"}
    assert st["dlq"] == {"topic": 0, "clickhouse": 0}
    assert st["items_in_clickhouse"] == 8
    assert st["stories"] and sum(s["item_count"] for s in st["stories"]) == 8
    assert st["unconsumed"] == []
    waiting_work_with_no_consumer_exits_3(prefix, tmp_path)


def waiting_work_with_no_consumer_exits_3(prefix: str, tmp_path) -> None:
    """Items published while no worker runs (`up` has stopped its pipeline): `status --once`
    says which group has work and nobody to do it, and exits 3, so a script does not read
    "all fine" from a stalled pipeline."""
    feed = tmp_path / "later.jsonl"
    feed.write_bytes(b"\n".join(orjson.dumps({"guid": f"g{i}", "headline": f"Later item {i}",
                                              "body": f"Something else happened, number {i}."})
                                for i in range(3)) + b"\n")
    produced = wirestream("produce", str(feed), "--source", "later")
    assert produced.returncode == 0, produced.stderr[-3000:]
    proc = wirestream("status", "--once", "--json", timeout=120)
    assert proc.returncode == 3, proc.stderr[-3000:]
    st = orjson.loads(proc.stdout)
    assert st["lag"][f"{prefix}wirestream-processors"] == {
        "total": 3, "topics": {f"{prefix}wire.raw": 3}, "consumers": 0}
    assert [line.split(":")[0] for line in st["unconsumed"]] == [f"{prefix}wirestream-processors"]


@pytest.mark.parametrize("case", ["no-broker", "no-clickhouse"])
def test_unreachable_is_one_line(ws_env, case):
    if case == "no-broker":
        os.environ["WIRESTREAM_KAFKA_BOOTSTRAP"] = "127.0.0.1:9"
    proc = wirestream("status", "--once", "--json", timeout=120)
    assert proc.returncode == 3, proc  # not running (docs/notes/api.md, exit codes)
    last = [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]
    assert last.startswith("error:") and "Traceback" not in proc.stderr
    assert ("Kafka" in last) if case == "no-broker" else ("wirestream up" in last)

