-- Rebuild of stories (history of versions), ordered by last activity: the newest versions
-- are the last granules, so "the latest stories, newest activity first" (stories_latest)
-- reads only the tail instead of every version (last_published_at never decreases from one
-- version of a story to the next). A bloom filter on story_id serves one story's history.
-- The triggering item's editorial status travels with each version (a version made by held
-- copy is not shown until the copy may be). One partition per year, text compressed.
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
    inserted_at         DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(ZSTD(1)),
    INDEX story_id_bloom story_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYear(last_published_at)
ORDER BY (last_published_at, story_id, version)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

-- The latest state of every story, one row per story_id (the highest version wins, whatever
-- the order rows arrive in), fed from stories by stories_current_mv: for questions about all stories and for one story by id
-- (`stories_current FINAL`), without reading every version.
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
    inserted_at         DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(ZSTD(1))
)
ENGINE = ReplacingMergeTree(version)
ORDER BY story_id
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

-- Every story version the sink stores reaches stories_current as it is inserted.
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.stories_current_mv TO {db}.stories_current AS
SELECT story_id, version, headline, first_published_at, last_published_at, item_count, places,
       agencies, languages, item_id, relation, status, embargoed_until, inserted_at
FROM {db}.stories;

-- Story versions made by held copy (embargoed until `until`; withdrawn/canceled: for good).
-- Few rows: lets stories_latest find the stories whose latest version is held without
-- reading every story.
CREATE TABLE IF NOT EXISTS {db}.story_holds
(
    story_id     String,
    version      UInt32,
    until        DateTime64(3, 'UTC'),
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
ORDER BY (story_id, version)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.story_holds_mv TO {db}.story_holds AS
SELECT story_id, version,
       if(status = 'usable', assumeNotNull(embargoed_until), toDateTime64('2299-12-31 00:00:00', 3, 'UTC')) AS until,
       inserted_at
FROM {db}.stories
WHERE status != 'usable' OR embargoed_until IS NOT NULL;

-- Upgrade: the latest version of every story already stored.
INSERT INTO {db}.stories_current
SELECT * FROM {db}.stories FINAL ORDER BY story_id, version DESC LIMIT 1 BY story_id
SETTINGS insert_deduplicate = 0;

INSERT INTO {db}.story_holds (story_id, version, until)
SELECT story_id, version,
       if(status = 'usable', assumeNotNull(embargoed_until), toDateTime64('2299-12-31 00:00:00', 3, 'UTC'))
FROM {db}.stories FINAL
WHERE status != 'usable' OR embargoed_until IS NOT NULL
SETTINGS insert_deduplicate = 0
