"""Shared fixtures. Integration tests use the real local Apache Kafka broker started by
tests/run.sh (WIRESTREAM_TEST_BOOTSTRAP); if it is not set they start one themselves.
Each test gets its own topic prefix and data directory (so its own chdb database).
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from tests.support.paths import REPO
from tests.support.ports import free_port_pair


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory) -> str:
    bootstrap = os.environ.get("WIRESTREAM_TEST_BOOTSTRAP")
    if bootstrap:
        yield bootstrap
        return
    port = "29192"
    env = os.environ | {"KAFKA_DATA_DIR": str(tmp_path_factory.mktemp("kafka")), "KAFKA_PORT": port}
    subprocess.run(["bash", str(REPO / "deploy/kafka/kafka.sh"), "start"], env=env, check=True)
    yield f"127.0.0.1:{port}"
    subprocess.run(["bash", str(REPO / "deploy/kafka/kafka.sh"), "stop"], env=env, check=False)


@pytest.fixture
def ws_env(tmp_path, kafka_bootstrap, monkeypatch) -> dict[str, str]:
    """Environment for one isolated pipeline: own topics, own data dir, free ports."""


    env = {
        "WIRESTREAM_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "WIRESTREAM_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:8]}.",
        "WIRESTREAM_DATA_DIR": str(tmp_path / "data"),
        "WIRESTREAM_METRICS_PORT": str(free_port_pair()),
        "WIRESTREAM_TOPIC_PARTITIONS": "2",
        "WIRESTREAM_STORIES_PARTITIONS": "2",  # the sink across partitions (the default is 1)
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env
