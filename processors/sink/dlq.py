"""The sink's dead letters to ``wire.dlq`` through a Kafka producer (``DeadLetterWriter``).

``flush`` raises ``KafkaUnavailable`` while anything is undelivered, so the store retries it
with the shared policy and never commits a batch before its poison is durable. A message
read from the dead-letter topic itself is never sent back there (no loops); it is counted.
"""

from __future__ import annotations

import logging

from processors import metrics
from processors.sink.batch import Message
from schemas.models import dumps
from wirecore.deadletter import build_dead_letter
from wirecore.errors import KafkaUnavailable

log = logging.getLogger("wirestream.sink")


class KafkaDeadLetters:
    def __init__(self, producer, dlq_topic: str, flush_timeout_s: float = 10.0) -> None:
        self.producer, self.dlq_topic, self.flush_timeout_s = producer, dlq_topic, flush_timeout_s

    def send(self, topic: str, partition: int, msg: Message, reason: str) -> None:
        log.warning("poison message %s:%s:%s -> %s: %s", topic, partition, msg.offset, self.dlq_topic, reason)
        metrics.DEAD_LETTERS.labels("sink", reason.split(":")[0][:60]).inc()
        if topic == self.dlq_topic:
            return
        dl = build_dead_letter(stage="sink", reason=reason, topic=topic, partition=partition,
                               offset=msg.offset, value=msg.value, key=msg.key)
        self.producer.produce(self.dlq_topic, value=dumps(dl), key=msg.key)

    def flush(self) -> None:
        left = self.producer.flush(self.flush_timeout_s)
        if left:
            raise KafkaUnavailable(f"{left} dead letter(s) not yet acknowledged by {self.dlq_topic}")

    def close(self) -> None:
        self.producer.flush(self.flush_timeout_s)
