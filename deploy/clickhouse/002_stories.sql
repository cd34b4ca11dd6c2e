-- Cluster version of schemas/clickhouse/002_stories.sql: one row per story version.
CREATE TABLE IF NOT EXISTS {db}.stories ON CLUSTER '{cluster}'
(
    story_id            String,
    version             UInt32,
    headline            String,
    first_published_at  DateTime64(3, 'UTC'),
    last_published_at   DateTime64(3, 'UTC'),
    item_count          UInt32,
    places              Array(LowCardinality(String)),
    agencies            Array(LowCardinality(String)),
    languages           Array(LowCardinality(String)),
    item_id             String,
    relation            LowCardinality(String),
    inserted_at         DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', inserted_at)
PARTITION BY toYYYYMM(first_published_at)
ORDER BY (story_id, version)
SETTINGS replicated_deduplication_window = 10000
