"""The sink under faults, through the real broker and chdb (issue: exactly-once sink).

One stream, several faults in a row: SIGKILL mid-batch three times during 20k items, the
target unavailable for 30 s (chdb data directory locked by another process), the same
offsets replayed twice. A second test restarts the broker mid-stream. After each fault:
count() of items equals the distinct items produced, with and without FINAL; every story's
versions are gapless; every poison message is in dlq with its reason.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import faultkit as fk
from tests.support.waiting import wait_until
from wirecore.settings import load_settings

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def sink_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return dict(os.environ) | {"WIRESTREAM_SINK_BATCH_ROWS": "500", "WIRESTREAM_SINK_BATCH_MS": "200"} | (extra or {})


def report(title: str, numbers: dict) -> None:
    print(f"\n[{title}] " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


def test_sigkill_lock_and_replays(ws_env, tmp_path):
    s = load_settings()
    fk.setup_topics(s)
    stream = fk.Stream()
    fk.produce(s, stream, 20_000, poison_every=997)
    sink = fk.SinkProcess(sink_env(), tmp_path / "sink.log")
    sink.start()
    rng = random.Random(7)
    try:
        for kill in range(3):  # SIGKILL mid-stream, three times
            target = (kill + 1) * 4_000
            def committed(target: int = target) -> bool:
                assert sink.alive(), sink.log.read_text()[-3000:]
                return fk.sink_committed(s) >= target

            wait_until(committed, 120, f"{target} committed offsets", interval=0.05)
            time.sleep(rng.uniform(0.0, 0.3))
            sink.kill()
            sink.start()
        fk.wait_drained(s, sink)
        report("after 3x SIGKILL", fk.check_invariants(s, stream))

        # ClickHouse unavailable for 30 s: another process holds the chdb data directory
        sink.stop()
        holder = subprocess.Popen([sys.executable, "-c", (
            "import time, clickhouse_connect;"
            f"c = clickhouse_connect.get_client(dsn='chdb://{s.chdb_path}');"
            "c.query('SELECT 1'); print('locked', flush=True); time.sleep(30)")],
            stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"
        sink.start()
        fk.produce(s, stream, 3_000, poison_every=499)
        holder.wait(60)
        fk.wait_drained(s, sink)
        assert "Cannot lock file" in sink.log.read_text()  # it really was locked out, and waited
        report("after 30 s lock", fk.check_invariants(s, stream))

        for replay in range(2):  # the same offsets replayed twice
            sink.stop()
            fk.reset_group_to_start(s)
            sink.start()
            fk.wait_drained(s, sink)
            report(f"after replay {replay + 1}", fk.check_invariants(s, stream))
    finally:
        sink.stop()


def test_broker_restart_mid_stream(ws_env, tmp_path, monkeypatch):
    port = "29492"
    kenv = dict(os.environ) | {"KAFKA_DATA_DIR": str(tmp_path / "kafka"), "KAFKA_PORT": port}
    script = str(REPO / "deploy/kafka/kafka.sh")
    subprocess.run(["bash", script, "start"], env=kenv, check=True, capture_output=True)
    monkeypatch.setenv("WIRESTREAM_KAFKA_BOOTSTRAP", f"127.0.0.1:{port}")
    s = load_settings()
    sink = fk.SinkProcess(sink_env({"WIRESTREAM_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}"}), tmp_path / "sink.log")
    try:
        fk.setup_topics(s)
        stream = fk.Stream()
        fk.produce(s, stream, 8_000, poison_every=1_001)
        sink.start()
        wait_until(lambda: fk.sink_committed(s) >= 3_000, 120, "3000 committed offsets", interval=0.05,
                   detail=lambda: sink.log.read_text()[-3000:])
        subprocess.run(["bash", script, "stop"], env=kenv, check=True, capture_output=True)
        time.sleep(5)
        subprocess.run(["bash", script, "start"], env=kenv, check=True, capture_output=True)
        fk.produce(s, stream, 4_000, poison_every=1_001)
        fk.wait_drained(s, sink)
        report("after broker restart", fk.check_invariants(s, stream))
    finally:
        sink.stop()
        subprocess.run(["bash", script, "stop"], env=kenv, check=False, capture_output=True)
