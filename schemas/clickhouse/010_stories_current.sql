-- Rebuild of stories (history of versions): the triggering item's editorial status travels
-- with each version (a version made by held copy is not shown until the copy may be),
-- one partition per year, text compressed.
CREATE TABLE IF NOT EXISTS {db}.stories
(
    story_id            String,
    version             UInt32,
    headline            String CODEC(ZSTD(3)),
    first_published_at  DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    last_published_at   DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    item_count          UInt32,
    places              Array(LowCardinality(String)),
    agencies            Array(LowCardinality(String)),
    languages           Array(LowCardinality(String)),
    item_id             String CODEC(ZSTD(1)),
    relation            LowCardinality(String),
    status              LowCardinality(String) DEFAULT 'usable',
    embargoed_until     Nullable(DateTime64(3, 'UTC')),
    inserted_at         DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(ZSTD(1))
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYear(first_published_at)
ORDER BY (story_id, version)
SETTINGS non_replicated_deduplication_window = 10000;

-- The latest state of every story, one row per story_id (the highest version wins, whatever
-- the order rows arrive in): what stories_latest reads instead of all versions.
CREATE TABLE IF NOT EXISTS {db}.stories_current
(
    story_id            String,
    version             UInt32,
    headline            String CODEC(ZSTD(3)),
    first_published_at  DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    last_published_at   DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    item_count          UInt32,
    places              Array(LowCardinality(String)),
    agencies            Array(LowCardinality(String)),
    languages           Array(LowCardinality(String)),
    item_id             String CODEC(ZSTD(1)),
    relation            LowCardinality(String),
    status              LowCardinality(String) DEFAULT 'usable',
    embargoed_until     Nullable(DateTime64(3, 'UTC')),
    inserted_at         DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(ZSTD(1)),
    INDEX last_published_minmax last_published_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY story_id
SETTINGS non_replicated_deduplication_window = 10000;

-- Upgrade: the latest version of every story already stored.
INSERT INTO {db}.stories_current
SELECT * FROM {db}.stories FINAL ORDER BY story_id, version DESC LIMIT 1 BY story_id
SETTINGS insert_deduplicate = 0
