"""The sink's commit protocol with wirecore.memory_kafka, a ClickHouse-like fake writer and a
FakeClock (STYLE §3, snuba test_consumer): the intent precedes the insert, offsets are
committed only after a successful write, a failed batch is retried, never skipped, and poison
is split out to the DLQ."""

from __future__ import annotations

import base64

import pytest

from tests.unit.sink.sinkkit import DLQ, STORIES, FakeWriter, commits, dead_letters, make_event, make_sink, run_sink
from wirecore.memory_kafka import MemoryBroker


def events(n: int, start: int = 0) -> list[bytes]:
    return [make_event(start + i) for i in range(n)]


def test_intent_then_insert_then_commit_next_offset():
    consumer, writer, _, _ = run_sink(events(3))
    assert consumer.log == ["commit 0 inflight:0-2", "insert wire.stories:0:0-2", "commit 3"]
    assert writer.rows == {"items": 3, "story_items": 3, "stories": 3}


def test_failed_insert_is_retried_paused_and_never_committed_before_success():
    consumer, writer, _, sink = run_sink(events(3), {"fail_times": 2})
    assert consumer.log == [
        "commit 0 inflight:0-2", "insert failed", "pause", "insert failed",
        "insert wire.stories:0:0-2", "resume", "commit 3",
    ]
    assert not consumer.paused
    assert sink.retrier.stuck is None


def test_failed_commit_is_retried_with_the_policy():
    broker = MemoryBroker()
    for e in events(3):
        broker.append(STORIES, e)
    broker.create(DLQ)
    writer = FakeWriter([])
    sink, consumer, _ = make_sink(broker, writer)
    consumer.fail_commits = 2
    sink.run(until_idle_s=1.0)
    assert commits(consumer) == ["commit failed", "commit failed", "commit 0 inflight:0-2", "commit 3"]
    assert writer.tokens == ["wire.stories:0:0-2"]
    assert sum(sink.clock.slept) >= 0.9 * (0.5 + 1.0)  # two backoff waits (jitter 10 %)


def test_poison_row_is_split_out_to_dlq_and_rest_is_stored():
    bad_id = f"{2:016x}"
    consumer, writer, broker, _ = run_sink(events(4), {"reject_item": bad_id}, rows=4)
    assert writer.rows["items"] == 3
    dls = dead_letters(broker)
    assert [d["origin_offset"] for d in dls] == [2]
    assert "ClickHouse rejected the row" in dls[0]["reason"]
    assert broker.committed[(STORIES, 0)] == (4, None)  # past the poison, after the rest was stored
    assert broker.committed[(DLQ, 0)] == (1, None)  # and the dead letter itself stored in dlq


def test_undecodable_event_goes_to_dlq_with_original_bytes():
    consumer, writer, broker, _ = run_sink([*events(2), b"{not json"])
    assert writer.rows["items"] == 2
    (dl,) = dead_letters(broker)
    assert dl["stage"] == "sink" and dl["origin_offset"] == 2
    assert base64.b64decode(dl["original"]) == b"{not json"


def test_dead_letters_are_durable_before_the_commit():
    broker = MemoryBroker()
    broker.create(DLQ)
    for e in [*events(2), b"\x00bad"]:
        broker.append(STORIES, e)
    sink, consumer, producer = make_sink(broker, FakeWriter([]))
    producer.unavailable = 3  # the DLQ refuses three flushes
    sink.run(until_idle_s=1.0)
    assert len(dead_letters(broker)) == 1
    assert consumer.log.index("commit 3") > consumer.log.index("resume")


@pytest.mark.parametrize("n", [1, 5, 7])
def test_every_offset_is_covered_exactly_once(n):
    consumer, writer, _, _ = run_sink(events(n))
    ranges = [tuple(map(int, t.rsplit(":", 1)[1].split("-"))) for t in writer.tokens]
    assert [o for a, b in ranges for o in range(a, b + 1)] == list(range(n))
    assert commits(consumer)[-1] == f"commit {n}"


def test_progress_row_names_the_stored_range():
    _, writer, _, _ = run_sink(events(3))
    assert writer.progress == [(STORIES, 0, 0, 2)]


def test_replay_of_stored_offsets_is_skipped_and_committed():
    """A consumer-group reset re-reads offsets 0..5; ClickHouse already holds 0..3."""
    consumer, writer, _, _ = run_sink(events(6), {"stored_through": 3})
    assert writer.tokens == ["wire.stories:0:4-5"]  # 0-2 skipped whole, 3 dropped from 3-5
    assert writer.rows["items"] == 2
    assert commits(consumer)[-1] == "commit 6"


def test_splitting_around_poison_never_stores_a_row_twice():
    """stories refuses one row after items and story_items took the whole batch: the halves
    write only stories, so items keeps exactly one row per message."""
    bad_id = f"{5:016x}"
    _, writer, broker, _ = run_sink(events(8), {"reject_item": bad_id, "reject_table": "stories"}, rows=8)
    assert writer.rows["items"] == 8 and writer.rows["story_items"] == 8
    assert writer.rows["stories"] == 7
    assert [d["origin_offset"] for d in dead_letters(broker)] == [5]


def test_a_resumed_batch_keeps_exactly_its_recorded_range():
    """After a crash between insert and commit, the batch is rebuilt as 0-2 (same token),
    even though offsets 3-6 arrive in the same fetch."""
    broker = MemoryBroker()
    broker.create(DLQ)
    for e in events(7):
        broker.append(STORIES, e)
    broker.committed[(STORIES, 0)] = (0, "inflight:0-2")
    writer = FakeWriter([])
    sink, _, _ = make_sink(broker, writer, rows=100)
    sink.run(until_idle_s=1.0)
    assert writer.tokens == ["wire.stories:0:0-2", "wire.stories:0:3-6"]


def test_a_resumed_batch_unfinished_at_shutdown_is_left_for_the_next_run():
    broker = MemoryBroker()
    broker.create(DLQ)
    for e in events(2):
        broker.append(STORIES, e)
    broker.committed[(STORIES, 0)] = (0, "inflight:0-4")  # 3 and 4 not readable yet
    writer = FakeWriter([])
    sink, consumer, _ = make_sink(broker, writer, rows=100)
    sink.run(until_idle_s=1.0)
    assert writer.tokens == [] and broker.committed[(STORIES, 0)] == (0, "inflight:0-4")
