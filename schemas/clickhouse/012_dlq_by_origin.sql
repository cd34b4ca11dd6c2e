-- Rebuild of dlq: one row per dead *input*, not per dead-letter message. Keyed by the stage
-- and the origin (topic, partition, offset) plus a hash of the original bytes (items cut
-- from one document, or with no Kafka origin, stay apart), so a re-sent dead letter (same
-- origin, same bytes, another dlq offset) collapses: count() FINAL counts it once.
-- Partitioned by year: dead letters of an old backfill do not make a partition per month.
CREATE TABLE IF NOT EXISTS {db}.dlq
(
    dlq_topic        String,
    dlq_partition    UInt32,
    dlq_offset       UInt64,
    stage            LowCardinality(String),
    reason           String CODEC(ZSTD(3)),
    origin_topic     Nullable(String),
    origin_partition Nullable(Int32),
    origin_offset    Nullable(Int64),
    original         String CODEC(ZSTD(3)),
    headers          Map(String, String) CODEC(ZSTD(1)),
    failed_at        DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    inserted_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYear(failed_at)
ORDER BY (stage, ifNull(origin_topic, ''), ifNull(origin_partition, -1), ifNull(origin_offset, -1), cityHash64(original))
SETTINGS non_replicated_deduplication_window = 10000
