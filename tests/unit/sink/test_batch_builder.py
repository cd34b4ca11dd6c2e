"""The pure batch builder: batches close by rows, bytes or time (time from a FakeClock),
a resumed in-flight range keeps its exact bounds, state lives and dies with the assignment."""

from __future__ import annotations

from processors.sink.batch import BatchLimits, Message
from processors.sink.state import BatchBuilder
from wirecore.retry import FakeClock

T = "wire.stories"


def msg(offset: int, size: int = 10) -> Message:
    return Message(offset, b"x" * size, None)


def builder(rows=100, nbytes=1 << 20, ms=1000) -> tuple[BatchBuilder, FakeClock]:
    clock = FakeClock(100.0)
    return BatchBuilder(BatchLimits(rows, nbytes, ms), clock), clock


def test_closes_by_rows():
    b, _ = builder(rows=3)
    for o in range(4):
        b.add(T, 0, msg(o))
    (st, batch, reason), = b.due()
    assert reason == "rows" and (batch.first, batch.last) == (0, 3)
    assert st.batch is None and b.empty()


def test_closes_by_bytes():
    b, _ = builder(nbytes=25)
    b.add(T, 0, msg(0))
    b.add(T, 0, msg(1))
    assert b.due() == []
    b.add(T, 0, msg(2))
    assert [r for _, _, r in b.due()] == ["bytes"]


def test_closes_by_time_measured_from_the_first_message():
    b, clock = builder(ms=1000)
    clock.advance(50)  # idle time before the first message does not count
    b.add(T, 0, msg(0))
    clock.advance(0.999)
    assert b.due() == []
    clock.advance(0.001)
    (_, batch, reason), = b.due()
    assert reason == "time" and batch.opened_at == 150.0


def test_resumed_batch_keeps_its_range_and_holds_the_rest():
    b, _ = builder(rows=2)
    b.assign(T, 1, intent_last=4)
    for o in range(2, 8):
        b.add(T, 1, msg(o))
    (st, batch, reason), = b.due()
    assert reason == "replay" and (batch.first, batch.last) == (2, 4)
    assert [m.offset for m in st.batch.messages] == [5, 6, 7]  # the held ones start the next
    assert [r for _, _, r in b.due()] == ["rows"]


def test_an_intent_already_behind_the_position_is_ignored():
    b, _ = builder(rows=100)
    b.assign(T, 0, intent_last=4)
    b.add(T, 0, msg(9))
    assert b.partitions[(T, 0)].batch.until is None


def test_shutdown_leaves_an_unfinished_resumed_batch():
    b, _ = builder()
    b.assign(T, 0, intent_last=9)
    b.add(T, 0, msg(0))
    b.add(T, 1, msg(0))
    assert [(st.partition, bt.last) for st, bt in b.ready_for_shutdown()] == [(1, 0)]
    assert not b.empty()


def test_revoke_drops_the_partition_state():
    b, _ = builder()
    b.add(T, 0, msg(0))
    b.revoke(T, 0)
    assert b.empty() and (T, 0) not in b.partitions


def test_a_poll_waits_no_longer_than_until_the_oldest_batch_is_due():
    b, clock = builder(ms=250)
    assert b.next_due_in(0.2) == 0.2  # nothing open: the usual poll
    b.add(T, 0, msg(0))
    clock.sleep(0.1)
    b.add(T, 1, msg(0))
    assert abs(b.next_due_in(0.2) - 0.15) < 1e-9  # partition 0's batch, opened first
    clock.sleep(0.2)
    assert b.next_due_in(0.2) == 0.0  # overdue: do not wait at all
    assert [st.partition for st, _, _ in b.due()] == [0]
    assert abs(b.next_due_in(0.2) - 0.05) < 1e-9  # partition 1's batch is next
