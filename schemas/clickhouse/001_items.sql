-- Every parsed item once. ReplacingMergeTree keyed by item_id: a replayed batch collapses,
-- and the insert_deduplication_token (kept for non_replicated_deduplication_window inserts)
-- stops it being stored twice in the first place.
CREATE TABLE IF NOT EXISTS {db}.items
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
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(published_at)
ORDER BY (item_id)
{ttl_items}
SETTINGS non_replicated_deduplication_window = 10000
