-- Rebuild of items (001 + 007): every *version* of an item is a row, keyed by its content
-- (item_id stays the source's stable id; a revision has the same item_id, new content_hash),
-- ordered by publication time so time-window filters read only the granules of the window
-- (a bloom filter on item_id serves lookups of one item's versions; granules of 1024 rows
-- keep such a lookup small), text ZSTD-compressed,
-- times delta-coded, one partition per year (a ten-year backfill makes ten partitions).
-- search_text: ngram bloom filter over lower(headline + body) for `wirestream query search`.
CREATE TABLE IF NOT EXISTS {db}.items
(
    item_id         String CODEC(ZSTD(1)),
    guid            String CODEC(ZSTD(1)),
    source          LowCardinality(String),
    format          LowCardinality(String),
    headline        String CODEC(ZSTD(3)),
    body            String CODEC(ZSTD(3)),
    dateline        Nullable(String) CODEC(ZSTD(1)),
    places          Array(LowCardinality(String)),
    agencies        Array(LowCardinality(String)),
    language        LowCardinality(Nullable(String)),
    published_at    DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    updated_at      Nullable(DateTime64(3, 'UTC')) CODEC(ZSTD(1)),
    fetched_at      DateTime64(3, 'UTC') CODEC(ZSTD(1)),
    url             Nullable(String) CODEC(ZSTD(3)),
    revision        UInt32,
    content_hash    String CODEC(ZSTD(1)),
    story_id        String CODEC(ZSTD(1)),
    relation        LowCardinality(String),
    raw_at          Nullable(DateTime64(3, 'UTC')) CODEC(ZSTD(1)),
    status          LowCardinality(String) DEFAULT 'usable',
    embargoed_until Nullable(DateTime64(3, 'UTC')),
    urgency         Nullable(UInt8),
    subjects        Array(LowCardinality(String)),
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(ZSTD(1)),
    INDEX item_id_bloom item_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX story_id_bloom story_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX search_text lower(concat(headline, '\n', body)) TYPE ngrambf_v1(4, 32768, 2, 0) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYear(published_at)
ORDER BY (published_at, item_id, content_hash)
{ttl_items}
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024
