"""A bad WIRESTREAM_* value is one error line and exit 2 from the console script, not a
validation traceback (run as a user runs it: a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WIRESTREAM = Path(sys.executable).parent / "wirestream"


@pytest.mark.parametrize(("env", "value", "says"), [
    ("WIRESTREAM_WORKER_STAGES", "bogus", "Input should be 'all', 'parse' or 'stories'"),
    ("WIRESTREAM_STORIES_PARTITIONS", "abc", "valid integer"),
    ("WIRESTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA1", "Input should be 'PLAIN', 'SCRAM-SHA-256' or 'SCRAM-SHA-512'"),
])
def test_a_bad_setting_is_a_usage_error(tmp_path, env, value, says):
    run = subprocess.run([str(WIRESTREAM), "status"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ) | {env: value, "WIRESTREAM_DATA_DIR": str(tmp_path)})
    assert run.returncode == 2
    assert f"invalid setting: {env}='{value}'" in run.stderr and says in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_a_security_protocol_kafka_does_not_know_stops_the_worker_at_once(tmp_path):
    """librdkafka refuses it only when a client is built: the worker's loops took that for a
    broker outage and retried it for ever (``parse paused (KafkaException: Invalid value
    "bogus" for configuration property "security.protocol"); retrying in 8.0s``), and
    ``sink``/``topics`` ended with librdkafka's own error and exit 1."""
    env = dict(os.environ) | {"WIRESTREAM_KAFKA_SECURITY_PROTOCOL": "sasl-ssl", "WIRESTREAM_DATA_DIR": str(tmp_path),
                              "WIRESTREAM_KAFKA_BOOTSTRAP": "127.0.0.1:1", "WIRESTREAM_ENV_FILE": os.devnull}
    run = subprocess.run([str(WIRESTREAM), "worker"], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 2, run.stderr
    assert ("invalid setting: WIRESTREAM_KAFKA_SECURITY_PROTOCOL='SASL-SSL': Input should be 'PLAINTEXT', "
            "'SSL', 'SASL_PLAINTEXT' or 'SASL_SSL'") in run.stderr
    ok = subprocess.run([sys.executable, "-c", "from wirecore.settings import load_settings as l; s = l(); "
                         "print(s.kafka_conf()['security.protocol'], s.kafka_sasl_mechanism)"],
                        capture_output=True, text=True, timeout=60, env=env | {
                            "WIRESTREAM_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "WIRESTREAM_KAFKA_SASL_MECHANISM": ""})
    assert ok.stdout.split() == ["SASL_SSL", "None"], ok.stderr  # any case, and empty = no SASL, as before
