-- Cluster version of schemas/clickhouse/001_items.sql: same columns, replicated on every node.
-- One shard, N replicas: ReplacingMergeTree collapses replays only within a shard, and the
-- story_timeline view joins items to story_items; see README.md beside this file.
CREATE TABLE IF NOT EXISTS {db}.items ON CLUSTER '{cluster}'
(
    item_id        String,
    guid           String,
    source         LowCardinality(String),
    format         LowCardinality(String),
    headline       String,
    body           String,
    dateline       Nullable(String),
    places         Array(LowCardinality(String)),
    agencies       Array(LowCardinality(String)),
    language       LowCardinality(Nullable(String)),
    published_at   DateTime64(3, 'UTC'),
    updated_at     Nullable(DateTime64(3, 'UTC')),
    fetched_at     DateTime64(3, 'UTC'),
    url            Nullable(String),
    revision       UInt32,
    content_hash   String,
    story_id       String,
    relation       LowCardinality(String),
    raw_at         Nullable(DateTime64(3, 'UTC')),
    inserted_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', inserted_at)
PARTITION BY toYYYYMM(published_at)
ORDER BY (item_id)
{ttl_items}
SETTINGS replicated_deduplication_window = 10000
