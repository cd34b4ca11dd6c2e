"""Sink throughput into chdb vs a bare clickhouse-connect insert loop, in the same process.

    .venv/bin/python bench/bench_sink.py [--items 50000] [--runs 3] [--batch 5000]

Both sides store the same rows (items shaped like the sample page's feed items, ~1.2 KB of
text each; per item one row in items, story_items and stories) into a fresh embedded
database, batch by batch. "bare" = JSONEachRow raw inserts of the same rows, serialised before
the clock starts, no tokens. "sink" = the real SinkConsumer path without the network: decode each story event,
build the rows, insert with dedup tokens, record progress in sink_offsets, commit (to a fake
consumer). Prints medians of rows/s (all tables) and items/s, and the ratio sink/bare.
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
from processors.sink.rows import decode_story_event, rows_for_story_event  # noqa: E402
from wirecore.clickhouse import INSERT_SETTINGS, ClickHouseWriter, open_client, run_migrations  # noqa: E402
from wirecore.settings import Settings  # noqa: E402

SAMPLE_BODY = (
    "De federale agent die zaterdag in Minneapolis een man doodschoot was zeer goed getraind, "
    "zei commandant Greg Bovino van de federale Amerikaanse grenspolitie op een persconferentie. "
    "De agent zou acht jaar in dienst zijn bij de grenspolitie. ") * 3


def make_events(n: int) -> list[bytes]:
    from tests.support.faultkit import story_event

    events = []
    for i in range(n):
        _, value = story_event(i)
        events.append(value.replace(b"body of wire item", SAMPLE_BODY[:900].encode(), 1))
    return events


class _Msg:
    __slots__ = ("_o", "_v")

    def __init__(self, offset, value):
        self._o, self._v = offset, value

    def error(self):
        return None

    def topic(self):
        return "wire.stories"

    def partition(self):
        return 0

    def offset(self):
        return self._o

    def value(self):
        return self._v

    def key(self):
        return None

    def timestamp(self):
        return (0, 0)


class _Consumer:
    def __init__(self, events, done):
        self.it = iter(enumerate(events))
        self.done = done

    def subscribe(self, *a, **k):
        pass

    def poll(self, timeout):
        try:
            o, v = next(self.it)
            return _Msg(o, v)
        except StopIteration:
            self.done()
            return None

    def consume(self, n, timeout):
        out = []
        for _ in range(n):
            m = self.poll(timeout)
            if m is None:
                break
            out.append(m)
        return out

    def commit(self, offsets, asynchronous=False):
        pass

    def pause(self, p):
        pass

    def resume(self, p):
        pass

    def assignment(self):
        return []

    def close(self):
        pass


class _Producer:
    def produce(self, *a, **k):
        pass

    def flush(self, t=None):
        return 0


def run_bare(client, db: str, blocks: list[tuple[str, bytes]]) -> float:
    """JSONEachRow raw inserts of pre-serialised blocks: the insert cost alone."""
    t0 = time.perf_counter()
    for table, block in blocks:
        client.raw_insert(f"{db}.{table}", insert_block=block, fmt="JSONEachRow", settings=INSERT_SETTINGS)
    return time.perf_counter() - t0


def run_sink(client, db: str, events: list[bytes], batch: int) -> float:
    settings = Settings(sink_batch_rows=batch, sink_batch_ms=10_000, sink_batch_bytes=1 << 40)
    holder = {}
    consumer = _Consumer(events, lambda: holder["s"].stop_event.set())
    sink = SinkConsumer(settings, lambda: ClickHouseWriter(client, db), consumer=consumer, producer=_Producer())
    holder["s"] = sink
    t0 = time.perf_counter()
    sink.run()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=5_000)
    args = ap.parse_args()
    events = make_events(args.items)
    built = [rows_for_story_event(decode_story_event(e)) for e in events]
    tables = {t: [b[t][0] for b in built] for t in ("items", "story_items", "stories")}
    rows_per_item = len(tables)
    blocks = [(t, b"\n".join(map(orjson.dumps, rows[i:i + args.batch])))
              for i in range(0, args.items, args.batch) for t, rows in tables.items()]
    avg = sum(len(e) for e in events) / len(events)
    print(f"{args.items} items, {avg:.0f} B per story event, batch {args.batch}, {args.runs} runs each")
    tmp = tempfile.mkdtemp(prefix="bench-sink-")
    client = open_client(f"chdb://{tmp}/ch")
    bare, sink = [], []
    for r in range(args.runs):
        db_b, db_s = f"bare{r}", f"sink{r}"
        run_migrations(client, db_b)
        run_migrations(client, db_s)
        bare.append(args.items * rows_per_item / run_bare(client, db_b, blocks))
        sink.append(args.items * rows_per_item / run_sink(client, db_s, events, args.batch))
        for db in (db_b, db_s):
            n = client.query(f"SELECT count() FROM {db}.items").result_rows[0][0]
            assert n == args.items, (db, n)
        print(f"run {r + 1}: bare {bare[-1]:,.0f} rows/s   sink {sink[-1]:,.0f} rows/s")
    mb, ms = statistics.median(bare), statistics.median(sink)
    print(f"median: bare insert loop {mb:,.0f} rows/s ({mb / rows_per_item:,.0f} items/s)")
    print(f"median: sink            {ms:,.0f} rows/s ({ms / rows_per_item:,.0f} items/s)")
    print(f"ratio sink/bare: {ms / mb:.2f}")


if __name__ == "__main__":
    main()
