-- Cluster version of schemas/clickhouse/003_story_items.sql: the timeline.
CREATE TABLE IF NOT EXISTS {db}.story_items ON CLUSTER '{cluster}'
(
    story_id      String,
    item_id       String,
    relation      LowCardinality(String),
    score         Float32,
    evidence      String,
    published_at  DateTime64(3, 'UTC'),
    headline      String,
    source        LowCardinality(String),
    story_version UInt32,
    inserted_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', inserted_at)
PARTITION BY toYYYYMM(published_at)
ORDER BY (story_id, published_at, item_id)
SETTINGS replicated_deduplication_window = 10000
