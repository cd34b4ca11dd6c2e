"""The sink alone vs a bare consume -> chdb loop, draining the same pre-filled ``wire.stories``.

    .venv/bin/python bench/bench_sink.py [--items 50000] [--rounds 3] [--batch 5000]
                                         [--bootstrap 127.0.0.1:29092]

Both sides drain the same story events into a fresh embedded database per round, rounds
interleaved: by default from one in-memory topic (wirecore.memory_kafka: the broker's cost is
equal and excluded); with ``--bootstrap`` from a real, pre-filled ``wire.stories`` topic, each
side with real confluent-kafka consumers in a fresh consumer group.
"bare" = consume, orjson.loads, one row per table (items, story_items, stories),
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
from confluent_kafka import TopicPartition

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


def run_bare(client, db: str, source, batch: int) -> float:
    consumer = source.consumer()
    consumer.subscribe([source.topic])
    t0, seen, deadline = None, 0, time.monotonic() + 120
    while seen < source.n and time.monotonic() < deadline:
        msgs = consumer.consume(batch, 1.0 if source.real else 0)
        if not msgs:
            continue
        t0 = t0 or time.perf_counter()  # from the first message: group join time is not the loop's
        seen += len(msgs)
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
        last = msgs[-1]
        consumer.commit(offsets=[TopicPartition(last.topic(), last.partition(), last.offset() + 1)], asynchronous=False)
    elapsed = time.perf_counter() - (t0 or 0)
    consumer.close()
    return elapsed


class MemorySource:
    real, topic = False, TOPIC

    def __init__(self, events: list[bytes]) -> None:
        self.events, self.n = events, len(events)

    def consumer(self):
        return MemoryConsumer(fill(self.events), FakeClock())

    def sink_clients(self, settings: Settings):
        clock = FakeClock()
        broker = fill(self.events)
        return MemoryConsumer(broker, clock), MemoryProducer(broker), clock


class KafkaSource:
    """A real topic filled once; every consumer joins a new group, so each reads it all."""

    real = True

    def __init__(self, events: list[bytes], bootstrap: str) -> None:
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        self.bootstrap, self.n, self.prefix = bootstrap, len(events), f"bench{int(time.time())}."
        self.topic = f"{self.prefix}{TOPIC}"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for t in (self.topic, f"{self.prefix}{DLQ}"):
            admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1)])[t].result()
        p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "acks": "all"})
        for e in events:
            while True:
                try:
                    p.produce(self.topic, e)
                    break
                except BufferError:
                    p.poll(0.1)
        assert p.flush(60) == 0
        self.groups = 0

    def _conf(self) -> dict:
        from processors.sink.clients import consumer_conf

        self.groups += 1
        settings = Settings(kafka_bootstrap=self.bootstrap, topic_prefix=self.prefix)
        return consumer_conf(settings) | {"group.id": f"{self.prefix}g{self.groups}"}

    def consumer(self):
        from confluent_kafka import Consumer

        return Consumer(self._conf())

    def sink_clients(self, settings: Settings):
        from confluent_kafka import Consumer, Producer

        return Consumer(self._conf()), Producer({"bootstrap.servers": self.bootstrap}), None


def run_sink(client, db: str, source, batch: int) -> float:
    settings = Settings(sink_batch_rows=batch, sink_batch_ms=1000, sink_batch_bytes=1 << 40,
                        topic_prefix=getattr(source, "prefix", ""))
    consumer, producer, clock = source.sink_clients(settings)
    done: dict[str, float] = {}
    real_consume = consumer.consume

    def consume(n, timeout):  # the clock starts at the first message, as in the bare loop
        got = real_consume(n, timeout)
        if got and "t0" not in done:
            done["t0"] = time.perf_counter()
        return got

    sink = SinkConsumer(settings, lambda: ClickHouseWriter(client, db), consumer=_Timed(consumer, consume),
                        producer=producer, clock=clock)

    def finish() -> None:  # stop once every item's rows are stored (not after an idle wait)
        while sink.rows_written < 3 * source.n and not sink.stop_event.wait(0.005):
            pass
        done["t"] = time.perf_counter()
        sink.stop_event.set()

    if source.real:
        import threading

        threading.Thread(target=finish, daemon=True).start()
        sink.run()
    else:
        sink.run(until_idle_s=0.0)
        done["t"] = time.perf_counter()
    return done["t"] - done["t0"]


class _Timed:
    """The sink's consumer with ``consume`` observed (everything else passed through)."""

    def __init__(self, inner, consume) -> None:
        self._inner, self.consume = inner, consume

    def __getattr__(self, name):
        return getattr(self._inner, name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=Settings.model_fields["sink_batch_rows"].default)
    ap.add_argument("--bootstrap", help="drain a real pre-filled topic on this broker instead of memory")
    args = ap.parse_args()
    events = [story_event(i) for i in range(args.items)]
    source = KafkaSource(events, args.bootstrap) if args.bootstrap else MemorySource(events)
    avg = sum(map(len, events)) / len(events)
    print(f"{args.items} items, {avg:.0f} B per story event, batch {args.batch}, {args.rounds} interleaved rounds, "
          f"source: {'Kafka ' + args.bootstrap if args.bootstrap else 'memory'}")
    client = open_client(f"chdb://{tempfile.mkdtemp(prefix='bench-sink-')}/ch")
    results: dict[str, list[float]] = {"bare": [], "sink": []}
    for r in range(args.rounds):
        for name, run in (("bare", run_bare), ("sink", run_sink)) if r % 2 == 0 else (("sink", run_sink),
                                                                                       ("bare", run_bare)):
            db = f"{name}{r}"
            run_migrations(client, db)
            results[name].append(args.items / run(client, db, source, args.batch))
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
