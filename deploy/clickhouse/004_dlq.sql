-- Cluster version of schemas/clickhouse/004_dlq.sql: every dead letter, for analysts.
CREATE TABLE IF NOT EXISTS {db}.dlq ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', inserted_at)
PARTITION BY toYYYYMM(failed_at)
ORDER BY (dlq_topic, dlq_partition, dlq_offset)
SETTINGS replicated_deduplication_window = 10000
