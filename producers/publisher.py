"""The only module that publishes with confluent-kafka: raw items -> ``wire.raw``.

Idempotent producer (``enable.idempotence``, ``acks=all``): librdkafka's own retries never
duplicate or reorder a message. Every delivery report is checked, and ``publish`` only
returns once all of them arrived, so a caller knows exactly what reached the broker.

The key is the item's stable id, but the *partition* is chosen by source: all items of one
source stay in one partition, in the order they were published, so the story engine sees a
source's updates in order (a key hash would scatter them over partitions and interleave).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, Producer

from schemas.models import DeadLetter, RawItem, dumps
from wirecore.errors import KafkaUnavailable
from wirecore.kafka_admin import REACH_TIMEOUT_S, unreachable
from wirecore.settings import Settings


class BrokerUnavailable(KafkaUnavailable):
    """The broker could not be reached; nothing more can be published."""


@dataclass
class PublishReport:
    published: int = 0
    failed: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


class RawPublisher:
    def __init__(self, settings: Settings, *, topic: str | None = None, timeout_s: float = 30.0):
        conf = settings.kafka_conf() | {
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": "zstd",
            "linger.ms": 20,
            "message.timeout.ms": int(timeout_s * 1000),
            "client.id": "wirestream-producer",
            "message.max.bytes": settings.max_message_bytes + 65536,
            # librdkafka's own log is off: an unreachable broker printed ~20 connect failures a
            # second; the broker check below and every delivery report say it once, in words
            "log_level": 0,
        }
        self._producer = Producer(conf)
        self._topic = topic or settings.topic("raw")
        self._dlq_topic = settings.topic("dlq")
        self._timeout_s = timeout_s
        self._bootstrap = settings.bootstrap
        self._check_broker()

    def _check_broker(self) -> None:
        try:
            md = self._producer.list_topics(timeout=min(self._timeout_s, REACH_TIMEOUT_S))
        except KafkaException as exc:
            raise unreachable(self._bootstrap, exc, BrokerUnavailable) from None
        topic = md.topics.get(self._topic)
        self._partitions = len(topic.partitions) if topic is not None and not topic.error else 0

    def _partition_for(self, source: str) -> int | None:
        if not self._partitions:
            return None  # topic not created yet: let the broker's default apply
        return zlib.crc32(source.encode()) % self._partitions

    def publish(self, items: Iterable[RawItem], progress=None) -> PublishReport:
        """Publish and wait for every delivery report. ``progress(n)`` is called per delivery."""
        report = PublishReport()

        def on_delivery(err: KafkaError | None, msg) -> None:
            key = msg.key().decode() if msg.key() else ""
            if err is not None:
                report.failed.append(f"{key}: {err.str()}")
            else:
                report.published += 1
                report.keys.append(key)
            if progress:
                progress(1)

        for item in items:
            while True:
                try:
                    partition = self._partition_for(item.meta.source)
                    extra = {} if partition is None else {"partition": partition}
                    self._producer.produce(
                        self._topic,
                        **extra,
                        value=item.payload,
                        key=item.key.encode(),
                        headers=item.meta.to_headers(),
                        on_delivery=on_delivery,
                    )
                    break
                except BufferError:  # local queue full: serve delivery reports, then retry
                    self._producer.poll(0.1)
                except KafkaException as exc:  # refused before sending, e.g. larger than the broker allows
                    report.failed.append(f"{item.key}: {exc.args[0].str()}")
                    break
            self._producer.poll(0)
        remaining = self._producer.flush(self._timeout_s)
        if remaining:
            report.failed.append(f"{remaining} message(s) not delivered within {self._timeout_s}s")
        return report

    def publish_dead_letters(self, letters: Iterable[DeadLetter]) -> PublishReport:
        """Dead letters the producer made itself (items it could not cut out, refused
        documents, oversize items) to ``wire.dlq``; waits for every delivery report."""
        report = PublishReport()

        def on_delivery(err: KafkaError | None, msg) -> None:
            if err is not None:
                report.failed.append(f"dead letter: {err.str()}")
            else:
                report.published += 1

        for dl in letters:
            while True:
                try:
                    self._producer.produce(self._dlq_topic, value=dumps(dl), key=dl.original_key,
                                           on_delivery=on_delivery)
                    break
                except BufferError:
                    self._producer.poll(0.1)
                except KafkaException as exc:
                    report.failed.append(f"dead letter: {exc.args[0].str()}")
                    break
            self._producer.poll(0)
        remaining = self._producer.flush(self._timeout_s)
        if remaining:
            report.failed.append(f"{remaining} dead letter(s) not delivered within {self._timeout_s}s")
        return report

    def close(self) -> None:
        self._producer.flush(self._timeout_s)
