"""Per-partition state and the pure batch builder.

One ``PartitionState`` per assigned partition, created on assign and dropped on revoke (the
way arroyo builds a strategy per assignment), instead of parallel dicts cleared one by one.
The builder only sorts messages into batches: no client, no I/O, time from a ``Clock``.

Resume rule: after a crash between intent and commit, the partition's committed metadata is
``inflight:first-last``. The first batch is rebuilt over exactly that range (same token, so
ClickHouse drops the re-insert); messages past ``last`` are *held* until it is flushed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from processors.sink.batch import Batch, BatchLimits, Message
from wirecore.retry import Clock

Key = tuple[str, int]


@dataclass
class PartitionState:
    topic: str
    partition: int
    intent_last: int | None = None  # end of a recorded in-flight range, until its batch opens
    batch: Batch | None = None
    held: list[Message] = field(default_factory=list)  # past a resumed batch's recorded end
    stored_through: int | None = None  # highest offset known stored (sink_offsets), read lazily


class BatchBuilder:
    def __init__(self, limits: BatchLimits, clock: Clock) -> None:
        self.limits, self.clock = limits, clock
        self.partitions: dict[Key, PartitionState] = {}

    def assign(self, topic: str, partition: int, intent_last: int | None = None) -> PartitionState:
        state = self.partitions[(topic, partition)] = PartitionState(topic, partition, intent_last)
        return state

    def revoke(self, topic: str, partition: int) -> None:
        """Unflushed messages are dropped: the next owner re-reads them from the committed
        offset, with the recorded intent, so nothing is lost or doubled."""
        self.partitions.pop((topic, partition), None)

    def state(self, topic: str, partition: int) -> PartitionState:
        return self.partitions.get((topic, partition)) or self.assign(topic, partition)

    def add(self, topic: str, partition: int, msg: Message) -> None:
        self._add(self.state(topic, partition), msg)

    def _add(self, st: PartitionState, msg: Message) -> None:
        batch = st.batch
        if batch is None:
            batch = st.batch = Batch(st.topic, st.partition, until=st.intent_last)
            st.intent_last = None
            if batch.until is not None and msg.offset > batch.until:
                batch.until = None  # intent already behind us (range committed elsewhere)
        elif batch.until is not None and msg.offset > batch.until:
            st.held.append(msg)  # a resumed batch keeps its exact range
            return
        batch.add(msg, self.clock.monotonic())

    def take(self, st: PartitionState) -> Batch | None:
        """Detach the partition's batch (anything polled meanwhile starts a new one) and let
        what was held past a resumed range start the next batch."""
        batch, st.batch = st.batch, None
        held, st.held = st.held, []
        for msg in held:
            self._add(st, msg)
        return batch

    def due(self) -> list[tuple[PartitionState, Batch, str]]:
        """Batches whose limits are reached now, detached, with the reason that closed them."""
        now, out = self.clock.monotonic(), []
        for st in list(self.partitions.values()):
            reason = st.batch.close_reason(self.limits, now) if st.batch else None
            if reason:
                batch = self.take(st)
                if batch is not None:
                    out.append((st, batch, reason))
        return out

    def next_due_in(self, cap: float) -> float:
        """Seconds until the oldest open batch reaches its time limit (at most ``cap``): how
        long a poll may wait without holding a due batch back."""
        now, wait = self.clock.monotonic(), cap
        for st in self.partitions.values():
            batch = st.batch
            if batch is not None and batch.messages and batch.until is None:
                wait = min(wait, batch.opened_at + self.limits.ms / 1000 - now)
        return max(0.0, wait)

    def ready_for_shutdown(self) -> list[tuple[PartitionState, Batch]]:
        """Graceful stop: what can be stored now. An unfinished resumed batch must keep its
        exact range, so it is left for the next run (which rebuilds it from the intent)."""
        out = []
        for st in list(self.partitions.values()):
            batch = st.batch
            if batch is None or not batch.messages or (batch.until is not None and batch.last < batch.until):
                continue
            taken = self.take(st)
            if taken is not None:
                out.append((st, taken))
        return out

    def empty(self) -> bool:
        return not any(st.batch and st.batch.messages for st in self.partitions.values())

    def waiting_only(self) -> bool:
        """Nothing buffered but resumed ranges still short of their recorded end."""
        return all(st.batch is None or not st.batch.messages or st.batch.until is not None
                   for st in self.partitions.values())
