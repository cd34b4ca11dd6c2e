-- The timeline: which item joined which story, how, and why (score + evidence JSON).
CREATE TABLE IF NOT EXISTS {db}.story_items
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
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(published_at)
ORDER BY (story_id, published_at, item_id)
SETTINGS non_replicated_deduplication_window = 10000
