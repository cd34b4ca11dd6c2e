"""``LagReader`` on the real broker: one client per group kept between readings, and every
reading is fresh (a commit between two readings shows in the second), as ``group_lag``'s
one-shot client reports it."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from wirecore.kafka_admin import LagReader, ensure_topics, group_lag
from wirecore.settings import load_settings

pytestmark = pytest.mark.integration


def _commit(settings, group: str, topic: str, offset: int) -> None:
    consumer = Consumer(settings.kafka_conf() | {"group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
    finally:
        consumer.close()


def test_a_kept_reader_sees_each_commit_and_keeps_one_client_per_group(ws_env):
    s = load_settings()
    ensure_topics(s)
    topic, group = s.topic("raw"), s.group("sink")
    producer = Producer(s.kafka_conf())
    for i in range(10):
        producer.produce(topic, key=b"k", value=str(i).encode(), partition=0)
    assert producer.flush(10) == 0

    with LagReader(s) as reader:
        def lag_p0() -> int:
            return next(p.lag for p in reader.lag(group, [topic]) if p.partition == 0)

        assert lag_p0() == 10  # nothing committed: the whole partition waits
        _commit(s, group, topic, 4)
        assert lag_p0() == 6
        _commit(s, group, topic, 10)
        assert lag_p0() == 0
        assert [(p.partition, p.lag) for p in reader.lag(group, [topic])] == [
            (p.partition, p.lag) for p in group_lag(s, group, [topic])]
        other = s.group("processors")
        assert next(p.lag for p in reader.lag(other, [topic]) if p.partition == 0) == 10
        assert sorted(reader._consumers) == sorted({group, other})  # one client each, reused
