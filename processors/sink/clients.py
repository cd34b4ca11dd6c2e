"""The sink's Kafka client configurations (pure builders from settings, arroyo-style)."""

from __future__ import annotations

from wirecore.settings import Settings


def consumer_conf(settings: Settings) -> dict:
    """Manual commits only; ``read_committed`` so aborted (replayed) transactional writes of the
    stories stage never reach ClickHouse."""
    return settings.kafka_conf() | {
        "group.id": settings.group("sink"), "enable.auto.commit": False, "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest", "isolation.level": "read_committed", "max.poll.interval.ms": 600000,
        # a killed sink's partitions return to its successor after 10 s, not the 45 s default
        "session.timeout.ms": 10000, "heartbeat.interval.ms": 2000,
    }


def producer_conf(settings: Settings) -> dict:
    """Dead letters: idempotent, acknowledged by all replicas, room for the original bytes."""
    return settings.kafka_conf() | {
        "enable.idempotence": True, "acks": "all", "message.max.bytes": settings.max_message_bytes + 65536}
