"""The broker SIGKILLed mid-stream under a running worker and started again: the stories loop
makes progress again by itself (before the fix it could restore its shards and then hang for
good in ``send_offsets_to_transaction``: docs/stories-stage.md), every ``wire.items`` record
gets exactly one committed event with the decision an uninterrupted engine gives it, every
item is stored, and ``/readyz`` is ready again once the stream is drained.

The broker is the test's own (killing it must not disturb the other tests' broker); items are
replayed at a fixed rate by ``wirestream produce`` so the kill lands while transactions flow.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import orjson
import pytest

from schemas.models import StoryEvent
from tests.support.storykit import (
    decisions,
    ecb_jsonl,
    processed,
    read_partitions,
    reference_events,
    start_worker,
    stop_worker,
    version_problems,
    wait_drained,
)
from wirecore.kafka_admin import ensure_topics
from wirecore.settings import load_settings

pytestmark = pytest.mark.integration

ITEMS = 500
RATE = 40  # items/s: a ~12 s stream
# from the kill to the first committed transaction after it; the broker's own restart (a JVM on
# two shared cores) is most of it. A stall never gets there.
RECOVERY_LIMIT_S = 90.0


@pytest.fixture
def own_broker(killable_broker):
    """Not the other tests' broker: killing it must not disturb them (conftest.py)."""
    return killable_broker


def test_stories_loop_makes_progress_after_a_broker_sigkill(own_broker, ws_env, tmp_path, monkeypatch):
    env = dict(ws_env, WIRESTREAM_KAFKA_BOOTSTRAP=own_broker.bootstrap, WIRESTREAM_ENV_FILE=os.devnull)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = load_settings()
    ensure_topics(s)
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(ecb_jsonl(ITEMS, ("en", "nl")))
    log = tmp_path / "worker.log"
    worker = start_worker(env, log, worker_id="w-broker-kill")
    with open(tmp_path / "produce.log", "ab") as out:
        producer = subprocess.Popen(
            [sys.executable, "-m", "wirestream.cli", "produce", "--source", "ecb", "--rate", str(RATE), str(feed)],
            env=dict(os.environ, **env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120  # kill once the stories loop is committing
        while processed(s) < ITEMS // 5:
            assert time.monotonic() < deadline and worker.poll() is None, log.read_text()[-3000:]
            time.sleep(0.1)
        before = processed(s)
        own_broker.kill()
        killed_at = time.monotonic()
        time.sleep(1.0)
        own_broker.start()
        restarted_s = time.monotonic() - killed_at
        while processed(s) <= before:
            assert time.monotonic() - killed_at < RECOVERY_LIMIT_S, (
                f"stories loop made no progress {RECOVERY_LIMIT_S}s after the broker kill\n{log.read_text()[-4000:]}")
            assert worker.poll() is None, log.read_text()[-3000:]
            time.sleep(0.2)
        recovery_s = time.monotonic() - killed_at
        print(f"\nbroker back after {restarted_s:.1f}s; stories committed again {recovery_s:.1f}s after the "
              f"SIGKILL ({recovery_s - restarted_s:.1f}s after the broker was back)")
        assert producer.wait(180) == 0, (tmp_path / "produce.log").read_text()[-2000:]
        wait_drained(s, [worker], log, ITEMS)
        ready_deadline = time.monotonic() + 30  # paused stages resume once the broker answers
        while True:
            readyz = httpx.get(f"http://127.0.0.1:{int(env['WIRESTREAM_METRICS_PORT']) + 1}/readyz", timeout=5)
            if readyz.status_code == 200 or time.monotonic() > ready_deadline:
                break
            time.sleep(0.5)
        assert readyz.status_code == 200, readyz.text
    finally:
        if producer.poll() is None:
            os.killpg(producer.pid, signal.SIGKILL)
            producer.wait(10)
        stop_worker(worker)
    worker_log = log.read_text(errors="replace")
    assert " stuck:" not in worker_log and "crashed" not in worker_log, worker_log[-3000:]

    items = read_partitions(s, s.topic("items"))
    events = [StoryEvent.from_dict(orjson.loads(v)) for vs in read_partitions(s, s.topic("stories")).values()
              for v in vs]
    item_ids = {orjson.loads(v)["item_id"] for vs in items.values() for v in vs}
    assert len(item_ids) == ITEMS
    reference = [e for es in reference_events(s, items).values() for e in es]
    # exactly one committed event per wire.items record, each the uninterrupted decision
    assert decisions(events) == decisions(reference)
    assert not version_problems(events), version_problems(events)[:5]
    stored = [e.item.item_id for e in events if not e.redelivery]
    assert len(stored) == len(set(stored)) == ITEMS, "every item stored exactly once"
