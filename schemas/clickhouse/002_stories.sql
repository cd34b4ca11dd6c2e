-- One row per story version: the full history, gapless (version 1, 2, 3 ...).
-- ReplacingMergeTree(version) by (story_id, version) makes replays harmless;
-- stories_latest picks the highest version per story.
CREATE TABLE IF NOT EXISTS {db}.stories
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
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(first_published_at)
ORDER BY (story_id, version)
SETTINGS non_replicated_deduplication_window = 10000
