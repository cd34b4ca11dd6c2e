"""Read a whole topic back (every partition up to its high watermark at call time)."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, TopicPartition

from tests.support.waiting import wait_until


def read_topic(settings, topic: str, timeout: float = 60) -> list[bytes]:
    """All values of ``topic`` up to the current high watermarks; fails loudly if short."""
    c = Consumer(settings.kafka_conf() | {"group.id": f"reader-{time.time_ns()}", "enable.auto.commit": False})
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    highs = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    got: dict[int, int] = {p: 0 for p in parts}
    values: list[bytes] = []

    def complete() -> bool:
        m = c.poll(1.0)
        if m is not None and not m.error():
            got[m.partition()] = m.offset() + 1
            values.append(m.value())
        return all(got[p] >= highs[p] for p in parts)

    try:
        wait_until(complete, timeout, f"all of {topic} (high watermarks {highs})", interval=0)
    finally:
        c.close()
    return values
