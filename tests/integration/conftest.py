"""Fixtures of the integration tests that need a broker of their own."""

from __future__ import annotations

import pytest

from tests.support.chaos import Broker
from tests.support.ports import free_port_pair


@pytest.fixture(scope="session")
def _spare_broker(tmp_path_factory):
    broker = Broker(tmp_path_factory.mktemp("spare-kafka"), free_port_pair())
    yield broker
    broker.stop()


@pytest.fixture
def killable_broker(_spare_broker) -> Broker:
    """A broker the test may SIGKILL, stop and start (the chaos runs, the broker restarts):
    not the session's broker, so the other tests never see it go away. One JVM for all of
    them (each started its own: ~6 s to start, ~2.5 s to stop); each test uses its own topic
    prefix, and finds it running (started again here if a failed test left it down)."""
    _spare_broker.start()
    return _spare_broker
