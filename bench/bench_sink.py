"""The sink alone vs a bare consume -> chdb loop, draining the same pre-filled ``wire.stories``.

    .venv/bin/python bench/bench_sink.py [--items 50000] [--rounds 3] [--batch 5000]

Both sides read the same story events from one in-memory topic (wirecore.memory_kafka, so the
broker's cost is equal and excluded) into a fresh embedded database per round, rounds
interleaved. "bare" = consume, orjson.loads, one row per table (items, story_items, stories),
one JSONEachRow insert per table per batch, commit; no tokens, no progress rows, no checks.
"sink" = the real SinkConsumer: intent commit, decode + validate, partition-safe runs, inserts
with dedup tokens, ``sink_offsets`` progress, commit. Prints medians of items/s and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from processors.sink.consumer import SinkConsumer  # noqa: E402
from schemas.models import StoryEvent, StorySnapshot, WireItem, dumps  # noqa: E402
from wirecore.clickhouse import INSERT_SETTINGS, ClickHouseWriter, open_client, run_migrations  # noqa: E402
from wirecore.memory_kafka import MemoryBroker, MemoryConsumer, MemoryProducer  # noqa: E402
from wirecore.retry import FakeClock  # noqa: E402
from wirecore.settings import Settings  # noqa: E402

TOPIC, DLQ = "wire.stories", "wire.dlq"
BODY = ("De federale agent die zaterdag in Minneapolis een man doodschoot was zeer goed getraind, "
        "zei commandant Greg Bovino van de federale Amerikaanse grenspolitie op een persconferentie. ") * 5


def story_event(i: int) -> bytes:
    """Feed-item-sized events (~1.5 KB): four versions per story, like the fault suite's."""
    story, version = f"s{i // 4:06d}", i % 4 + 1
    ts = f"2026-01-24T{10 + version:02d}:{i % 50:02d}:00Z"
    item = WireItem(item_id=f"{i:016x}", guid=f"guid-{i}", source="bench", format="jsonl", headline=f"headline {i}",
                    body=BODY[:900], dateline="MINNEAPOLIS", places=["Minneapolis"], agencies=["ANP", "AFP"],
                    language="nl", published_at=ts, updated_at=None, fetched_at="2026-01-24T17:00:00Z", url=None,
                    revision=0, content_hash=f"{i:016x}")
    snap = StorySnapshot(story_id=story, version=version, headline=item.headline,
                         first_published_at="2026-01-24T11:00:00Z", last_published_at=ts, item_count=version,
                         places=["Minneapolis"], agencies=["ANP"], languages=["nl"])
    return dumps(StoryEvent(item=item, story_id=story, relation="new" if version == 1 else "update", score=0.9,
                            evidence={"shared_terms": ["minneapolis"]}, story=snap, raw_timestamp_ms=1_700_000_000_000))


def fill(events: list[bytes]) -> MemoryBroker:
    broker = MemoryBroker()
    broker.create(DLQ)
    for e in events:
        broker.append(TOPIC, e)
    return broker


def run_bare(client, db: str, broker: MemoryBroker, batch: int) -> float:
    consumer = MemoryConsumer(broker, FakeClock())
    consumer.subscribe([TOPIC])
    t0 = time.perf_counter()
    while msgs := consumer.consume(batch, 0):
        items, links, stories = [], [], []
        for m in msgs:
            ev = orjson.loads(m.value())
            it, st = ev["item"], ev["story"]
            items.append(it | {"story_id": ev["story_id"], "relation": ev["relation"]})
            links.append({"story_id": ev["story_id"], "item_id": it["item_id"], "relation": ev["relation"],
                          "score": ev["score"], "published_at": it["published_at"], "headline": it["headline"],
                          "source": it["source"], "story_version": st["version"]})
            stories.append(st | {"item_id": it["item_id"], "relation": ev["relation"]})
        for table, rows in (("items", items), ("story_items", links), ("stories", stories)):
            client.raw_insert(f"{db}.{table}", insert_block=orjson.dumps(rows), fmt="JSONEachRow",
                              settings=INSERT_SETTINGS)
        consumer.commit(offsets=[], asynchronous=False)
    return time.perf_counter() - t0


def run_sink(client, db: str, broker: MemoryBroker, batch: int) -> float:
    settings = Settings(sink_batch_rows=batch, sink_batch_ms=60_000, sink_batch_bytes=1 << 40)
    clock = FakeClock()
    sink = SinkConsumer(settings, lambda: ClickHouseWriter(client, db), consumer=MemoryConsumer(broker, clock),
                        producer=MemoryProducer(broker), clock=clock)
    t0 = time.perf_counter()
    sink.run(until_idle_s=0.0)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=Settings.model_fields["sink_batch_rows"].default)
    args = ap.parse_args()
    events = [story_event(i) for i in range(args.items)]
    avg = sum(map(len, events)) / len(events)
    print(f"{args.items} items, {avg:.0f} B per story event, batch {args.batch}, {args.rounds} interleaved rounds")
    client = open_client(f"chdb://{tempfile.mkdtemp(prefix='bench-sink-')}/ch")
    results: dict[str, list[float]] = {"bare": [], "sink": []}
    for r in range(args.rounds):
        for name, run in (("bare", run_bare), ("sink", run_sink)) if r % 2 == 0 else (("sink", run_sink),
                                                                                       ("bare", run_bare)):
            db = f"{name}{r}"
            run_migrations(client, db)
            results[name].append(args.items / run(client, db, fill(events), args.batch))
            n = client.query(f"SELECT count() FROM {db}.items").result_rows[0][0]
            assert n == args.items, (db, n)
        print(f"round {r + 1}: bare {results['bare'][-1]:,.0f} items/s   sink {results['sink'][-1]:,.0f} items/s")
    mb, ms = statistics.median(results["bare"]), statistics.median(results["sink"])
    per_round = statistics.median(s / b for s, b in zip(results["sink"], results["bare"], strict=True))
    print("| loop | items/s (median) | ratio |\n|---|---|---|")
    print(f"| bare consume -> chdb | {mb:,.0f} | 1.00 |\n| wirestream sink | {ms:,.0f} | {ms / mb:.2f} |")
    print(f"median of per-round ratios sink/bare: {per_round:.2f}")


if __name__ == "__main__":
    main()
