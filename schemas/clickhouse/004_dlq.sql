-- A copy of every dead letter for analysts: why it failed and the original bytes (base64).
CREATE TABLE IF NOT EXISTS {db}.dlq
(
    dlq_topic        String,
    dlq_partition    UInt32,
    dlq_offset       UInt64,
    stage            LowCardinality(String),
    reason           String,
    origin_topic     Nullable(String),
    origin_partition Nullable(Int32),
    origin_offset    Nullable(Int64),
    original         String,
    headers          Map(String, String),
    failed_at        DateTime64(3, 'UTC'),
    inserted_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(failed_at)
ORDER BY (dlq_topic, dlq_partition, dlq_offset)
SETTINGS non_replicated_deduplication_window = 10000
