"""``wirestream produce`` with no broker at the configured address: one error line, exit 1
(not librdkafka's connection log, ~20 lines a second, before it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.ports import free_port


def test_an_unreachable_broker_is_one_line(tmp_path):
    feed = tmp_path / "one.jsonl"
    feed.write_text('{"guid": "a", "headline": "A headline", "body": "Some text."}\n')
    port = free_port()
    env = os.environ | {"WIRESTREAM_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
                        "WIRESTREAM_DATA_DIR": str(tmp_path / "data")}
    exe = Path(sys.executable).parent / "wirestream"
    proc = subprocess.run([str(exe), "produce", str(feed)], capture_output=True, text=True,
                          timeout=120, env=env)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith(f"error: Kafka broker 127.0.0.1:{port} unreachable: "), proc.stderr
    assert "KafkaError{" not in lines[0]  # librdkafka's reason in words, not its repr
