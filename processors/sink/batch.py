"""A batch is a contiguous offset range of one partition, closed by rows, bytes or time.

The range names the batch: ``topic:partition:first-last`` is its insert_deduplication_token,
so re-inserting the same range after a crash is a no-op in ClickHouse. Time comes from the
caller's ``Clock`` (``opened_at``/``now``), so closing by time is tested with ``FakeClock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Message:
    offset: int
    value: bytes
    key: bytes | None


@dataclass(frozen=True)
class BatchLimits:
    rows: int
    nbytes: int
    ms: int


@dataclass
class Batch:
    topic: str
    partition: int
    messages: list[Message] = field(default_factory=list)
    nbytes: int = 0
    opened_at: float = 0.0
    until: int | None = None  # replaying an in-flight range: close exactly at this offset

    @property
    def first(self) -> int:
        return self.messages[0].offset

    @property
    def last(self) -> int:
        return self.messages[-1].offset

    @property
    def next_offset(self) -> int:
        """What to commit once this batch is stored: last + 1."""
        return self.last + 1

    @property
    def token(self) -> str:
        return span_token(self.topic, self.partition, self.first, self.last)

    def add(self, msg: Message, now: float) -> None:
        if not self.messages:
            self.opened_at = now
        self.messages.append(msg)
        self.nbytes += len(msg.value)

    def close_reason(self, limits: BatchLimits, now: float) -> str | None:
        """Why this batch should be flushed now, or None. An in-flight replay ignores limits."""
        if not self.messages:
            return None
        if self.until is not None:
            return "replay" if self.last >= self.until else None
        if len(self.messages) >= limits.rows:
            return "rows"
        if self.nbytes >= limits.nbytes:
            return "bytes"
        if (now - self.opened_at) * 1000 >= limits.ms:
            return "time"
        return None


def span_token(topic: str, partition: int, first: int, last: int) -> str:
    return f"{topic}:{partition}:{first}-{last}"


def intent_metadata(batch: Batch) -> str:
    """Commit metadata recorded *before* the insert: the exact range about to be written."""
    return f"inflight:{batch.first}-{batch.last}"


def parse_intent(metadata: str | None) -> tuple[int, int] | None:
    if not metadata or not metadata.startswith("inflight:"):
        return None
    try:
        first, last = metadata.removeprefix("inflight:").split("-")
        return int(first), int(last)
    except ValueError:
        return None
