"""Every Prometheus metric wirestream exports, in one place (names documented in README).

Each long-running process serves these on ``/metrics`` (see wirestream/owner_api.py for the
sink and processors/web.py for the worker).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ITEMS = Counter("wirestream_items_total", "Messages handled per stage and outcome", ["stage", "outcome"])
DEAD_LETTERS = Counter("wirestream_dead_letters_total", "Dead letters by stage and reason", ["stage", "reason"])
RELATIONS = Counter("wirestream_story_relations_total", "Story engine decisions", ["relation"])
CONSUMER_LAG = Gauge("wirestream_consumer_lag", "Messages behind the high watermark", ["group", "topic", "partition"])
BATCH_ROWS = Histogram("wirestream_sink_batch_rows", "Rows per inserted batch",
                       buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000, 50000))
BATCH_BYTES = Histogram("wirestream_sink_batch_bytes", "Message bytes per inserted batch",
                        buckets=(1e3, 1e4, 1e5, 1e6, 4e6, 8e6, 3.2e7))
BATCH_CLOSED = Counter("wirestream_sink_batches_total", "Batches flushed, by the limit that closed them", ["reason"])
INSERT_SECONDS = Histogram("wirestream_sink_insert_seconds", "ClickHouse insert latency per batch",
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
INSERT_RETRIES = Counter("wirestream_sink_insert_retries_total", "Transient insert failures retried")
FRESHNESS = Histogram(
    "wirestream_freshness_seconds",
    "End to end: Kafka timestamp of the raw item -> its row committed in ClickHouse",
    buckets=(0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10, 30, 60, 120, 300, 900),
)
SINK_PAUSED = Gauge("wirestream_sink_paused", "1 while the sink is paused because ClickHouse is unavailable")
STAGE_PAUSED = Gauge("wirestream_stage_paused",
                     "1 while a worker stage is paused on an infrastructure error (retrying)", ["stage"])
STAGE_RETRIES = Counter("wirestream_stage_retries_total",
                        "Infrastructure errors a worker stage paused and retried on", ["stage", "kind"])
STORY_BATCH_ITEMS = Histogram("wirestream_story_batch_items", "Items per stories transaction",
                              buckets=(1, 10, 50, 100, 250, 500, 1000, 2000))
STORY_STATE_BYTES = Counter("wirestream_story_state_bytes_total",
                            "Changelog bytes written by the stories loop (uncompressed)")
STORY_RESTORE_SECONDS = Histogram("wirestream_story_restore_seconds", "Time to rebuild one shard's engine",
                                  buckets=(0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60))
SINK_STUCK = Gauge("wirestream_sink_stuck",
                   "1 while one batch keeps failing with the same error past the retry bound (see /readyz)")
