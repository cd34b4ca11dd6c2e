"""End-to-end throughput of the whole pipeline through a real broker and chdb.

    WIRESTREAM_KAFKA_BOOTSTRAP=127.0.0.1:29092 .venv/bin/python bench/bench_pipeline.py [--items 5000]

Publishes N JSON-lines items (ECB+ sentences, varied), runs the faust worker and the sink as
`wirestream up` does, and reports items/s from the first publish until every item is in
ClickHouse, plus the freshness the sink measured. Needs a running broker (make test starts
one; or `wirestream kafka start`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_jsonl(n: int) -> bytes:
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "ecbplus" / "ecbplus_train.jsonl"
    docs = [orjson.loads(line) for line in shared.read_bytes().splitlines()]
    out = []
    for i in range(n):
        d = docs[i % len(docs)]
        out.append(orjson.dumps({
            "guid": f"{d['id']}-{i}", "headline": f"{d['title']} ({i})",
            "body": d["text"].replace("\n", " ")[:900], "language": "en",
            "published_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
        }))
    return b"\n".join(out) + b"\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=5000)
    args = ap.parse_args()
    if not os.environ.get("WIRESTREAM_KAFKA_BOOTSTRAP"):
        sys.exit("set WIRESTREAM_KAFKA_BOOTSTRAP to a running broker")
    os.environ.setdefault("WIRESTREAM_DATA_DIR", tempfile.mkdtemp(prefix="bench-pipeline-"))
    os.environ["WIRESTREAM_TOPIC_PREFIX"] = f"bench{uuid.uuid4().hex[:6]}."
    from producers.formats import split_document
    from producers.publisher import RawPublisher
    from wirecore.settings import load_settings
    from wirestream.reader import open_reader
    from wirestream.up import Pipeline

    s = load_settings()
    items = split_document(make_jsonl(args.items), "jsonl", source="bench",
                           fetched_at="2026-02-01T00:00:00Z").items
    pipeline = Pipeline(s)
    try:
        pipeline.start(log=lambda m: None)
        time.sleep(5)  # let the worker join its group
        t0 = time.perf_counter()
        report = RawPublisher(s).publish(items)
        t_pub = time.perf_counter() - t0
        pipeline.wait_drained(1200)
        elapsed = time.perf_counter() - t0
        reader = open_reader(s)
        n = reader.query(f"SELECT count() FROM {s.clickhouse_database}.items")[1][0][0]
        stories = reader.query(f"SELECT count() FROM {s.clickhouse_database}.stories_latest")[1][0][0]
    finally:
        pipeline.stop()
    print(f"published {report.published} items in {t_pub:.2f}s ({report.published / t_pub:,.0f} items/s to wire.raw)")
    print(f"end to end: {n} items in ClickHouse after {elapsed:.1f}s = {n / elapsed:,.0f} items/s "
          f"({stories} stories)")


if __name__ == "__main__":
    main()
