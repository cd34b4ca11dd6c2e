"""The sink service waits for its ClickHouse target with the shared retry policy (a FakeClock
here, never a patched sleep) and gives up at once when asked to stop."""

from __future__ import annotations

import threading

import pytest

from wirecore.errors import ClickHouseUnavailable
from wirecore.retry import FakeClock, RetryPolicy
from wirecore.settings import Settings
from wirestream import sink_service


def test_connect_waits_with_the_policy_until_the_target_answers(monkeypatch):
    attempts = []

    def open_client(dsn):
        attempts.append(dsn)
        if len(attempts) < 4:
            raise ClickHouseUnavailable("cannot open ClickHouse: Cannot lock file")
        return "client"

    monkeypatch.setattr(sink_service, "open_client", open_client)
    monkeypatch.setattr(sink_service, "run_migrations", lambda client, db, ttl: [])
    clock = FakeClock()
    policy = RetryPolicy(initial=0.5, cap=1.5, jitter=0)
    client = sink_service.connect_with_retry(Settings(clickhouse_dsn="chdb:///x"), threading.Event(), clock, policy)
    assert client == "client" and clock.slept == [0.5, 1.0, 1.5]


def test_connect_gives_up_when_stopping(monkeypatch):
    def open_client(dsn):
        raise ClickHouseUnavailable("down")

    monkeypatch.setattr(sink_service, "open_client", open_client)
    stop = threading.Event()
    stop.set()
    with pytest.raises(ClickHouseUnavailable):
        sink_service.connect_with_retry(Settings(clickhouse_dsn="chdb:///x"), stop, FakeClock())
