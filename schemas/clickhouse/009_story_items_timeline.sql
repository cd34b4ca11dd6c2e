-- Rebuild of story_items: the timeline carries what it shows (dateline, places, language,
-- body, editorial status ...) so reading one story needs no join over all items; one row per
-- item *version* (content_hash in the key), so a revision adds a row instead of replacing
-- the item's first row: counts of new/update per story never change because of a revision.
-- Small granules (256 rows): reading one story's few rows does not decompress 8192 bodies.
CREATE TABLE IF NOT EXISTS {db}.story_items
(
    story_id        String,
    item_id         String,
    content_hash    String CODEC(ZSTD(1)),
    revision        UInt32,
    relation        LowCardinality(String),
    score           Float32,
    evidence        String CODEC(ZSTD(3)),
    published_at    DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    headline        String CODEC(ZSTD(3)),
    source          LowCardinality(String),
    story_version   UInt32,
    dateline        Nullable(String) CODEC(ZSTD(1)),
    agencies        Array(LowCardinality(String)),
    places          Array(LowCardinality(String)),
    language        LowCardinality(Nullable(String)),
    body            String CODEC(ZSTD(3)),
    url             Nullable(String) CODEC(ZSTD(3)),
    status          LowCardinality(String) DEFAULT 'usable',
    embargoed_until Nullable(DateTime64(3, 'UTC')),
    urgency         Nullable(UInt8),
    subjects        Array(LowCardinality(String)),
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(ZSTD(1))
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYear(published_at)
ORDER BY (story_id, published_at, item_id, content_hash)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

-- Upgrade: rows copied from the old story_items get the new columns from items (data steps:
-- skipped by a fresh install and by a repair).
INSERT INTO {db}.story_items
SELECT si.story_id, si.item_id, if(i.content_hash = '', 'legacy', i.content_hash), i.revision, si.relation, si.score, si.evidence,
       si.published_at, si.headline, si.source, si.story_version, i.dateline, i.agencies, i.places,
       i.language, i.body, i.url, i.status, i.embargoed_until, i.urgency, i.subjects, si.inserted_at
FROM {db}.story_items AS si
LEFT JOIN {db}.items AS i ON i.item_id = si.item_id AND i.story_id = si.story_id
WHERE si.content_hash = ''
SETTINGS insert_deduplicate = 0;

ALTER TABLE {db}.story_items DELETE WHERE content_hash = '' SETTINGS mutations_sync = 2
