"""The faust parse agent without a broker (faust's ``agent.test_context()``; Topic.send
replaced by a recorder): good items go to their shard partition with ``raw_ts_ms`` in order,
a bad raw item is one dead letter and its neighbours go on, and a broker error pauses the
agent and retries the same item (never a dead letter)."""

from __future__ import annotations

import asyncio

import faust
import orjson
import pytest
from aiokafka.errors import KafkaConnectionError

from processors.health import WorkerHealth
from processors.parse_agent import create_app
from processors.stages import shard_partition
from wirecore.retry import RetryPolicy
from wirecore.settings import Settings

HEADERS = [("source", b"anp"), ("format", b"listing"), ("fetched_at", b"2026-01-24T18:00:00+01:00")]


def good(n: int) -> bytes:
    return f"MINNEAPOLIS (ANP) - Bericht nummer {n} over de schietpartij.\n14 minuten geleden".encode()


@pytest.fixture
def sent(monkeypatch):
    calls: list[dict] = []
    failures: list[BaseException] = []

    async def send(self, *, key=None, value=None, partition=None, headers=None, **_):
        if failures and self.get_topic_name().endswith("items"):
            raise failures.pop(0)
        calls.append({"topic": self.get_topic_name(), "key": key, "value": orjson.loads(value),
                      "partition": partition, "headers": dict(headers or [])})

    monkeypatch.setattr(faust.Topic, "send", send)
    return calls, failures


def run_agent(tmp_path, values: list[bytes | None], health: WorkerHealth) -> None:
    app = create_app(Settings(data_dir=tmp_path, items_partitions=4), health,
                     policy=RetryPolicy(initial=0.01, cap=0.01, jitter=0))

    async def go() -> None:
        async with app.agents["parse"].test_context() as agent:
            for v in values:
                await agent.put(v, key=b"k", headers=HEADERS, timestamp=1769274000.0)

    asyncio.run(go())


def test_good_items_keep_their_order_on_their_shard_partition(tmp_path, sent):
    calls, _ = sent
    run_agent(tmp_path, [good(i) for i in range(3)], WorkerHealth())
    assert [c["topic"] for c in calls] == ["wire.items"] * 3
    assert [c["value"]["headline"] for c in calls] == [f"Bericht nummer {i} over de schietpartij" for i in range(3)]
    assert {c["partition"] for c in calls} == {shard_partition("nl", 4)}
    assert all(c["headers"]["raw_ts_ms"] == b"1769274000000" for c in calls)


def test_a_bad_item_is_one_dead_letter_and_neighbours_go_on(tmp_path, sent):
    calls, _ = sent
    run_agent(tmp_path, [good(1), None, good(2)], WorkerHealth())
    assert [c["topic"] for c in calls] == ["wire.items", "wire.dlq", "wire.items"]
    dl = calls[1]["value"]
    assert dl["stage"] == "parse" and "empty" in dl["reason"] and dl["origin_topic"]


def test_a_broker_error_pauses_and_retries_the_same_item(tmp_path, sent):
    calls, failures = sent
    failures += [KafkaConnectionError("broker down"), OSError(28, "No space left on device")]
    pauses: list[tuple[str, str]] = []

    class Recording(WorkerHealth):
        def paused(self, stage, kind, reason, retry_in):
            pauses.append((stage, kind))
            super().paused(stage, kind, reason, retry_in)

    health = Recording()
    run_agent(tmp_path, [good(1), good(2)], health)
    assert [c["topic"] for c in calls] == ["wire.items", "wire.items"]  # retried, no dead letter
    assert [c["value"]["headline"] for c in calls] == [
        "Bericht nummer 1 over de schietpartij", "Bericht nummer 2 over de schietpartij"]
    assert pauses == [("parse", "KafkaConnectionError"), ("parse", "OSError")]
    assert health.report()["stages"]["parse"]["paused"] is False  # resumed after the retry
