-- Cluster version of schemas/clickhouse/006_sink_offsets.sql: the sink's stored progress.
CREATE TABLE IF NOT EXISTS {db}.sink_offsets ON CLUSTER '{cluster}'
(
    topic        String,
    partition    UInt32,
    first_offset UInt64,
    last_offset  UInt64,
    rows         UInt32,
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', inserted_at)
ORDER BY (topic, partition, last_offset)
TTL toDateTime(inserted_at) + INTERVAL 90 DAY
SETTINGS replicated_deduplication_window = 10000
