"""The sink under faults, through the real broker and chdb (issue: exactly-once sink).

One stream, several faults in a row: SIGKILL mid-batch three times during 20k items, the
target unavailable for 12 s (chdb data directory locked by another process), the same
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
LOCKED_OUT = 4  # connect attempts the sink must see refused while chdb is held by another process


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
    holder = None
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

        # ClickHouse unavailable for several of the sink's retries: another process holds the
        # chdb data directory until the sink has been refused the lock LOCKED_OUT times, then
        # lets go. (It held it a fixed 12 s: five refusals with the connect backoff of 0.5, 1,
        # 2, 4 s, and then up to 8 s more for the next try. Counting the refusals tests the
        # same wait-and-retry and does not depend on how fast this machine starts a sink.)
        sink.stop()
        holder = subprocess.Popen([sys.executable, "-c", (
            "import sys, clickhouse_connect;"
            f"c = clickhouse_connect.get_client(dsn='chdb://{s.chdb_path}');"
            "c.query('SELECT 1'); print('locked', flush=True); sys.stdin.readline()")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"

        def refusals() -> int:  # the sink's "<why>; retrying in N s" lines (why: the lock, below)
            return sum(" wirestream.sink " in line and "retrying in" in line
                       for line in sink.log.read_text(errors="replace").splitlines())

        refused_before = refusals()
        sink.start()
        fk.produce(s, stream, 3_000, poison_every=499)
        wait_until(lambda: refusals() - refused_before >= LOCKED_OUT, 60, f"{LOCKED_OUT} refused connects",
                   detail=lambda: sink.log.read_text()[-3000:])
        assert sink.alive(), sink.log.read_text()[-3000:]  # it waited: it did not give up
        assert "Cannot lock file" in sink.log.read_text()  # it really was locked out, and waited
        holder.communicate("release\n", timeout=60)
        fk.wait_drained(s, sink)
        report("after the lock", fk.check_invariants(s, stream))

        for replay in range(2):  # the same offsets replayed twice
            sink.stop()
            fk.reset_group_to_start(s)
            sink.start()
            fk.wait_drained(s, sink)
            report(f"after replay {replay + 1}", fk.check_invariants(s, stream))
    finally:
        sink.stop()
        if holder is not None and holder.poll() is None:  # a failure while it held the lock
            holder.kill()
            holder.wait(10)


def test_broker_restart_mid_stream(ws_env, tmp_path, monkeypatch, killable_broker):
    # a second broker beside the session's, which the other tests use (conftest.py)
    port = killable_broker.env["KAFKA_PORT"]
    kenv = killable_broker.env
    script = str(REPO / "deploy/kafka/kafka.sh")
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


# Runs the real sink service, but every insert (except progress rows) first executes a query
# chdb refuses (code 395) while the marker file exists: a persistent insert error that an
# operator can "fix" from outside by deleting the file.
FAULTY_SINK = """
import os, sys
from pathlib import Path
import wirecore.clickhouse as ch
import wirestream.sink_service as service
marker, real_open = Path(os.environ["SINK_FAULT_FILE"]), ch.open_client
def open_client(dsn):
    client = real_open(dsn)
    real_insert = client.raw_insert
    def raw_insert(table, *a, **kw):
        if marker.exists() and not table.endswith("sink_offsets"):
            client.query("SELECT throwIf(1, 'forced by the fault test')")
        return real_insert(table, *a, **kw)
    client.raw_insert = raw_insert
    return client
service.open_client = open_client
service.main()
"""


def backfill_event(i: int, published_at: str) -> bytes:
    import orjson

    _, value = fk.story_event(i)
    ev = orjson.loads(value)
    ev["item"]["published_at"] = published_at
    ev["story"]["first_published_at"] = ev["story"]["last_published_at"] = published_at
    ev["story_id"] = ev["story"]["story_id"] = f"b{i:06d}"
    ev["story"]["version"], ev["relation"] = 1, "new"
    return orjson.dumps(ev)


def produce_backfill(s, stream: fk.Stream, n: int, rng: random.Random) -> None:
    from confluent_kafka import Producer

    p = Producer(s.kafka_conf() | {"enable.idempotence": True, "acks": "all", "linger.ms": 20})
    for _ in range(n):
        i = stream.next_i
        stream.next_i += 1
        when = f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T08:00:00Z"
        stream.items.add(f"{i:016x}")
        p.produce(s.topic("stories"), key=f"b{i}".encode(), value=backfill_event(i, when))
        p.poll(0)
    assert p.flush(60) == 0


def readyz(s) -> dict:
    import urllib.error
    import urllib.request

    import orjson

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{s.metrics_port}/readyz", timeout=10) as resp:
            return orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return orjson.loads(exc.read())
    except OSError:
        return {"ready": None, "reasons": ["not up"]}


def test_backfill_spanning_2015_2025_then_stuck_and_recovery(ws_env, tmp_path):
    """3,000 items published 2015-2025 (~130 monthly partitions) go through with *default*
    settings, exactly once; then a persistent insert error is reported stuck on /readyz and in
    `wirestream status` within a minute, and once removed everything is stored by itself."""
    s = load_settings()
    fk.setup_topics(s)
    stream, rng = fk.Stream(), random.Random(2015)
    produce_backfill(s, stream, 3_000, rng)  # published while the sink is down
    sink = fk.SinkProcess(dict(os.environ), tmp_path / "sink.log")  # default batch settings
    sink.start()
    try:
        fk.wait_drained(s, sink, timeout_s=180)
        numbers = fk.check_invariants(s, stream)
        assert numbers["items"] == numbers["items_final"] == 3_000, numbers
        report("2015-2025 backfill", numbers)
        sink.stop()

        marker = tmp_path / "fault"
        marker.touch()
        faulty = fk.SinkProcess(dict(os.environ) | {"SINK_FAULT_FILE": str(marker)}, tmp_path / "faulty.log")
        faulty.cmd = [sys.executable, "-c", FAULTY_SINK]
        faulty.start()
        fk.produce(s, stream, 300)
        t0, state = time.monotonic(), {}
        while time.monotonic() - t0 < 60:
            assert faulty.alive(), faulty.log.read_text()[-3000:]
            state = readyz(s)
            if any("stuck" in r for r in state.get("reasons", [])):
                break
            time.sleep(1)
        stuck_after = time.monotonic() - t0
        reason = next(r for r in state["reasons"] if "stuck" in r)  # StopIteration = not reported in 60 s
        assert state["ready"] is False and "395" in reason and "wire.stories:" in reason, state
        out = subprocess.run([sys.executable, "-m", "wirestream.cli", "status", "--once", "--json"],
                             capture_output=True, text=True, timeout=60, env=dict(os.environ))
        assert "sink stuck" in out.stdout, out.stdout + out.stderr
        assert "What to do" in faulty.log.read_text()

        marker.unlink()  # the operator fixes the cause: no restart
        fk.wait_drained(s, faulty, timeout_s=120)
        recovered = fk.check_invariants(s, stream)
        assert recovered["items"] == 3_300 and readyz(s)["ready"] is not None
        report("stuck then recovered", recovered | {"stuck_reported_after_s": round(stuck_after, 1)})
        faulty.stop()
    finally:
        sink.stop()
