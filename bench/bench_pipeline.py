"""The stories stage against its engine and a bare loop, through a real broker and chdb.

    WIRESTREAM_KAFKA_BOOTSTRAP=127.0.0.1:29092 .venv/bin/python bench/bench_pipeline.py \
        [--items 5000] [--rounds 3] [--rate 50] [--fresh-seconds 20]

Per round, on the same N JSON-lines items (ECB+ sentences, varied, four languages = four
story shards), interleaved so machine load hits every contender alike:
- full: ``up``'s worker + sink, from the first publish until every item is readable in ClickHouse;
  CPU ms per item of worker + sink; changelog bytes per item (wire.story-state, as written);
- cluster: ``wirestream cluster`` (the engine alone, whole command) on the same items;
- bare: one in-process confluent-kafka loop raw -> parse -> engine -> wire.stories, no
  transaction, no sink (what the stage would cost with no guarantees at all);
- one / two workers: the worker processes alone (no sink) until wire.items is drained, once
  with the faust parse agent (``WIRESTREAM_PARSE_ENGINE=faust``) and once with
  the plain parse loop (``plain``, the default), back to back on the same items; also when the parse stage
  alone was done (its group committed every raw item) and worker CPU ms per item.
Then freshness at ``--rate`` items/s: raw publish -> story event committed (exact, per item)
and raw publish -> row in ClickHouse (the sink's histogram, bucket-interpolated).
Prints medians and ratios from this one run. Needs a running broker (``wirestream kafka start``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LANGS = ("en", "nl", "de", "it")  # crc32 % 4 -> every shard of four gets items


def make_docs(n: int) -> list[dict]:
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "ecbplus" / "ecbplus_train.jsonl"
    docs = [orjson.loads(line) for line in shared.read_bytes().splitlines()]
    out = []
    for i in range(n):
        d = docs[i % len(docs)]
        out.append({
            "guid": f"{d['id']}-{i}", "headline": f"{d['title']} ({i})",
            "body": d["text"].replace("\n", " ")[:900], "language": LANGS[i % len(LANGS)],
            "published_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
        })
    return out


def make_jsonl(n: int) -> bytes:
    return b"\n".join(orjson.dumps(d) for d in make_docs(n)) + b"\n"


def fresh_settings(tag: str, **env: str):
    from wirecore.kafka_admin import ensure_topics
    from wirecore.settings import load_settings

    os.environ.pop("WIRESTREAM_PARSE_ENGINE", None)  # each contender says its own engine...
    os.environ.pop("WIRESTREAM_UP_STORY_WORKERS", None)  # ...and its own stories workers
    os.environ["WIRESTREAM_TOPIC_PREFIX"] = f"bench{tag}{uuid.uuid4().hex[:6]}."
    os.environ["WIRESTREAM_DATA_DIR"] = tempfile.mkdtemp(prefix=f"bench-pipeline-{tag}-")
    os.environ.update(env)
    s = load_settings()
    ensure_topics(s)
    return s


def raw_items(n: int):
    from producers.formats import split_document

    return split_document(make_jsonl(n), "jsonl", source="bench", fetched_at="2026-02-01T00:00:00Z").items


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if orjson.loads(r.read())["ready"]:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"worker on port {port} not ready")


def scrape(port: int, name: str) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {ln.split(" ")[0]: float(ln.split(" ")[1]) for ln in text.splitlines() if ln.startswith(name)}


def bucket_quantile(buckets: dict[str, float], q: float) -> float:
    """Quantile from a Prometheus histogram's cumulative buckets (linear inside a bucket)."""
    pts = sorted((float(k.split('le="')[1].split('"')[0]), v) for k, v in buckets.items() if "_bucket" in k)
    total = pts[-1][1]
    prev_le, prev_n = 0.0, 0.0
    for le, n in pts:
        if n >= q * total:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((q * total - prev_n) / max(1e-9, n - prev_n))
        prev_le, prev_n = le, n
    return prev_le


def run_full(n: int, story_workers: int = 1) -> dict[str, float]:
    """``wirestream up``'s processes (parse worker, ``story_workers`` stories workers, sink),
    first publish -> last row readable in ClickHouse."""
    from producers.publisher import RawPublisher
    from wirestream.reader import open_reader
    from wirestream.up import Pipeline

    s = fresh_settings(f"full{story_workers}", WIRESTREAM_UP_STORY_WORKERS=str(story_workers))
    items = raw_items(n)
    pipeline = Pipeline(s)
    try:
        pipeline.start(log=lambda m: None)
        wait_ready(s.metrics_port + 1)
        pids = [c.proc.pid for c in pipeline.children]
        cpu0 = sum(cpu_seconds(p) for p in pids)
        reader = open_reader(s)
        count_sql = f"SELECT count() FROM {s.clickhouse_database}.items"
        t0 = time.perf_counter()
        RawPublisher(s).publish(items)
        deadline = time.monotonic() + 1200
        # the end is the moment the last row is readable (polled every 50 ms through the
        # owner's read API); the lag check after it is only the cross-check
        while reader.query(count_sql)[1][0][0] < n:
            assert time.monotonic() < deadline, "items did not reach ClickHouse in 1200 s"
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        pipeline.wait_drained(120)
        state = sum(sum(scrape(port, "wirestream_story_state_bytes_total").values())
                    for port in [s.metrics_port + 1] + [s.metrics_port + 1 + k for k in range(2, story_workers + 1)])
        stored = reader.query(count_sql)[1][0][0]
    finally:
        pipeline.stop()
    assert stored == n, f"{stored} of {n} items stored"
    return {"items_s": n / elapsed, "cpu_ms": 1000 * cpu / n, "state_b": state / n}


def run_cluster(n: int, jobs: str | None = None) -> float:
    docs = [{"id": d["guid"], "title": d["headline"], "text": d["body"], "published_at": d["published_at"],
             "lang": d["language"]} for d in make_docs(n)]
    path = Path(tempfile.mkdtemp(prefix="bench-cluster-")) / "items.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(d) for d in docs) + b"\n")
    exe = Path(sys.executable).parent / "wirestream"
    t0 = time.perf_counter()
    subprocess.run([str(exe), "cluster", "-i", str(path), "-o", os.devnull, *(["--jobs", jobs] if jobs else [])],
                   check=True)
    return n / (time.perf_counter() - t0)


def run_bare(n: int) -> float:
    from confluent_kafka import Consumer, Producer

    from processors.stages import parse_stage
    from processors.stories import EngineConfig
    from processors.story_state import ShardState
    from producers.publisher import RawPublisher
    from schemas.models import dumps

    s = fresh_settings("bare")
    items = raw_items(n)
    t0 = time.perf_counter()
    RawPublisher(s).publish(items)
    c = Consumer(s.kafka_conf() | {"group.id": "bare", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    p = Producer(s.kafka_conf() | {"linger.ms": 5, "compression.type": "zstd"})
    c.subscribe([s.topic("raw")])
    shards: dict[str, ShardState] = {}
    done = 0
    while done < n:
        for m in c.consume(1000, timeout=0.2):
            if m.error():
                continue
            item = parse_stage(m.value(), m.headers(), s)
            event = shards.setdefault(item.language or "", ShardState(EngineConfig())).step(item, None)
            p.produce(s.topic("stories"), key=event.story_id.encode(), value=dumps(event))
            p.poll(0)
            done += 1
    p.flush()
    c.close()
    return n / (time.perf_counter() - t0)


class LagProbe:
    """One consumer kept open for one group's committed offsets and the high watermarks (a
    new client per reading, as ``group_lag`` makes, takes ~0.5 s: too coarse to time a run
    of a few seconds). The topics it watches are not transactional: lag = high - committed."""

    def __init__(self, s, group: str, topics: list[str]) -> None:
        from confluent_kafka import Consumer, TopicPartition

        self.c = Consumer(s.kafka_conf() | {"group.id": group, "enable.auto.commit": False})
        md = self.c.list_topics(timeout=10)
        self.tps = [TopicPartition(t, p) for t in topics for p in sorted(md.topics[t].partitions)]

    def reading(self) -> tuple[int, int]:
        """(records written, records not yet committed by the group)."""
        committed = self.c.committed(self.tps, timeout=10)
        highs = [self.c.get_watermark_offsets(tp, timeout=10, cached=False)[1] for tp in self.tps]
        return sum(highs), sum(max(0, h - max(c.offset, 0)) for h, c in zip(highs, committed, strict=True))

    def close(self) -> None:
        self.c.close()


def wait_stages(s, procs, log: Path, n: int, t0: float, timeout_s: float = 1200) -> tuple[float, float]:
    """Seconds from ``t0`` until the parse stage had committed every raw item (and written all
    ``n`` items), and until the stories stage had too (read every 50 ms)."""
    parse = LagProbe(s, s.group("processors"), s.topology.reads("processors"))
    stories = LagProbe(s, s.group("stories"), s.topology.reads("stories"))
    try:
        parse_done = None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if parse_done is None:
                written, lag = parse.reading()
                if written >= n and lag == 0:
                    parse_done = time.perf_counter() - t0
            if parse_done is not None:
                written, lag = stories.reading()
                if written >= n and lag == 0:
                    return parse_done, time.perf_counter() - t0
            for proc in procs:
                assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.05)
        raise TimeoutError(f"workers did not drain: {log.read_text()[-2000:]}")
    finally:
        parse.close()
        stories.close()


def run_workers(n: int, workers: int, engine: str = "faust") -> dict[str, float]:
    """``workers`` worker processes with ``WIRESTREAM_PARSE_ENGINE=engine``, no sink: whole
    stage throughput, parse-stage throughput (raw committed), worker CPU ms per item."""
    from producers.publisher import RawPublisher
    from tests.support.storykit import start_worker, stop_worker

    s = fresh_settings(f"w{workers}{engine[0]}", WIRESTREAM_PARSE_ENGINE=engine)
    items = raw_items(n)
    log = Path(os.environ["WIRESTREAM_DATA_DIR"]) / "workers.log"
    procs = []
    try:
        for w in range(workers):
            port = s.metrics_port + 10 + 2 * w
            procs.append(start_worker(dict(os.environ) | {"WIRESTREAM_METRICS_PORT": str(port)}, log,
                                      f"bench-{engine}-{w}"))
        for w in range(workers):
            wait_ready(s.metrics_port + 11 + 2 * w)
        time.sleep(1.0)  # let the stories group settle on its final assignment
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        t0 = time.perf_counter()
        RawPublisher(s).publish(items)
        parse_s, all_s = wait_stages(s, procs, log, n, t0)
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        return {"items_s": n / all_s, "parse_items_s": n / parse_s, "cpu_ms": 1000 * cpu / n}
    finally:
        for proc in procs:
            stop_worker(proc)


def run_freshness(rate: float, seconds: float) -> dict[str, float]:
    from confluent_kafka import Consumer

    from producers.publisher import RawPublisher
    from wirestream.up import Pipeline

    s = fresh_settings("fresh")
    items = raw_items(int(rate * seconds))
    pipeline = Pipeline(s)
    lat: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        c = Consumer(s.kafka_conf() | {"group.id": "fresh", "auto.offset.reset": "earliest",
                                       "isolation.level": "read_committed"})
        c.subscribe([s.topic("stories")])
        while not stop.is_set():
            for m in c.consume(100, timeout=0.1):
                if m.error() is None:
                    raw_ts = orjson.loads(m.value()).get("raw_timestamp_ms")
                    lat.append(time.time() - raw_ts / 1000)
        c.close()

    try:
        pipeline.start(log=lambda m: None)
        wait_ready(s.metrics_port + 1)
        t = threading.Thread(target=watch)
        t.start()
        publisher = RawPublisher(s)
        t0 = time.perf_counter()
        for k, item in enumerate(items):
            time.sleep(max(0.0, t0 + k / rate - time.perf_counter()))
            publisher.publish([item])
        pipeline.wait_drained(120)
        time.sleep(1.0)
        stop.set()
        t.join()
        sink = scrape(s.metrics_port, "wirestream_freshness_seconds_bucket")
        insert = scrape(s.metrics_port, "wirestream_sink_insert_seconds_bucket")
    finally:
        pipeline.stop()
    q = statistics.quantiles(lat, n=100)
    return {"stage_p50": q[49], "stage_p99": q[98], "e2e_p50": bucket_quantile(sink, 0.5),
            "e2e_p99": bucket_quantile(sink, 0.99), "events": len(lat),
            "insert_p50": bucket_quantile(insert, 0.5), "insert_p99": bucket_quantile(insert, 0.99)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--fresh-seconds", type=float, default=20.0)
    ap.add_argument("--skip", default="",
                    help="comma list of contenders to skip: "
                         "full,full-2,cluster,cluster-1,bare,one,one-plain,two,two-plain,fresh")
    args = ap.parse_args()
    if not os.environ.get("WIRESTREAM_KAFKA_BOOTSTRAP"):
        sys.exit("set WIRESTREAM_KAFKA_BOOTSTRAP to a running broker")
    skip = set(filter(None, args.skip.split(",")))
    res: dict[str, list] = {k: [] for k in ("full", "full-2", "cluster", "cluster-1", "bare", "one", "one-plain",
                                            "two", "two-plain")}
    for r in range(args.rounds):
        if "full" not in skip:
            res["full"].append(run_full(args.items))
        if "full-2" not in skip:
            res["full-2"].append(run_full(args.items, story_workers=2))
        if "cluster" not in skip:
            res["cluster"].append(run_cluster(args.items))
        if "cluster-1" not in skip:
            res["cluster-1"].append(run_cluster(args.items, jobs="0"))
        if "bare" not in skip:
            res["bare"].append(run_bare(args.items))
        for key, workers, engine in (("one", 1, "faust"), ("one-plain", 1, "plain"),
                                     ("two", 2, "faust"), ("two-plain", 2, "plain")):
            if key not in skip:  # faust and plain parse engines back to back, same items
                res[key].append(run_workers(args.items, workers, engine))
        print(f"round {r + 1}: " + ", ".join(
            f"{k} {v[-1]['items_s'] if isinstance(v[-1], dict) else v[-1]:,.0f}/s" for k, v in res.items() if v),
            flush=True)

    def med(key: str, field: str | None = None) -> float:
        vals = [v[field] if field else v for v in res[key]]
        return statistics.median(vals) if vals else float("nan")

    full, cluster, bare = med("full", "items_s"), med("cluster"), med("bare")
    one, two = med("one", "items_s"), med("two", "items_s")
    one_p, two_p = med("one-plain", "items_s"), med("two-plain", "items_s")
    print(f"\n{args.items} items, 4 language shards, medians of {args.rounds} rounds (items/s):")
    print(f"  full pipeline (worker + sink, e2e) {full:8,.0f}   {full / cluster:5.2f}x cluster  "
          f"{full / bare:5.2f}x bare")
    full2, cluster1 = med("full-2", "items_s"), med("cluster-1")
    print(f"  full, two stories workers (up)     {full2:8,.0f}   {full2 / cluster:5.2f}x cluster  "
          f"{full2 / full:5.2f}x full")
    print(f"  wirestream cluster (engine alone)  {cluster:8,.0f}   (default --jobs: a helper process "
          "prepares lines)")
    print(f"  wirestream cluster --jobs 0        {cluster1:8,.0f}   full = {full / cluster1:5.2f}x, "
          f"full-2 = {full2 / cluster1:5.2f}x this")
    print(f"  bare loop (parse + engine, no txn) {bare:8,.0f}")
    print(f"  one worker, faust parse (stages)   {one:8,.0f}   {one / cluster:5.2f}x cluster")
    print(f"  one worker, plain parse (stages)   {one_p:8,.0f}   {one_p / cluster:5.2f}x cluster  "
          f"faust/plain {one / one_p:5.2f}x")
    print(f"  two workers, faust parse           {two:8,.0f}   {two / one:5.2f}x one")
    print(f"  two workers, plain parse           {two_p:8,.0f}   {two_p / one_p:5.2f}x one  "
          f"faust/plain {two / two_p:5.2f}x")
    for key in ("one", "one-plain", "two", "two-plain"):
        if res[key]:
            print(f"    {key:9}: parse stage done at {med(key, 'parse_items_s'):7,.0f} items/s, "
                  f"worker CPU {med(key, 'cpu_ms'):.2f} ms/item")
    for key in ("full", "full-2"):
        if res[key]:
            print(f"  {key}: CPU ms/item (workers + sink) {med(key, 'cpu_ms'):.2f}; "
                  f"changelog bytes/item (uncompressed) {med(key, 'state_b'):,.0f}")
    if "fresh" not in skip:
        f = run_freshness(args.rate, args.fresh_seconds)
        print(f"  freshness at {args.rate:.0f} items/s ({f['events']} events): raw -> story event committed "
              f"p50 {f['stage_p50']:.3f}s p99 {f['stage_p99']:.3f}s; raw -> ClickHouse (sink histogram) "
              f"p50 {f['e2e_p50']:.2f}s p99 {f['e2e_p99']:.2f}s; one sink insert p50 "
              f"{f['insert_p50']:.3f}s p99 {f['insert_p99']:.3f}s")


if __name__ == "__main__":
    main()
