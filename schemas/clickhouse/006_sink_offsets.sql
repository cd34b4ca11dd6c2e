-- The sink's own progress, written in ClickHouse after each batch's rows (same token).
-- A replay of offsets already stored (a consumer-group reset, a rebalance that cut batches
-- differently) is skipped by reading max(last_offset) here: exactly-once without Keeper.
CREATE TABLE IF NOT EXISTS {db}.sink_offsets
(
    topic        String,
    partition    UInt32,
    first_offset UInt64,
    last_offset  UInt64,
    rows         UInt32,
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
ORDER BY (topic, partition, last_offset)
TTL toDateTime(inserted_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000
