-- Lookups that stay small as the tables grow (10M items, 2M stories).
--
-- by_item_id: a projection *index* on items (only `_part_offset`, ordered by item_id): items
-- are ordered by published_at, so a lookup of one item's versions (`query versions
-- --item-id`) read every granule's item_id_bloom filter, ~10k filters at 10M items. The
-- projection maps item_id to the rows holding it by binary search, per part, and the query
-- reads only those granules (ClickHouse >= 25.6 uses such projections for filtering; it
-- holds two columns per row, a few MiB at 1M items). Kept through merges like `facets`.
ALTER TABLE {db}.items
    ADD PROJECTION IF NOT EXISTS by_item_id (SELECT _part_offset ORDER BY item_id);

ALTER TABLE {db}.items MATERIALIZE PROJECTION by_item_id SETTINGS mutations_sync = 2;

-- The latest version of every story that was never held (status usable, no embargo), one row
-- per story_id (the highest version wins), fed from stories by stories_clear_mv. For a story
-- whose latest version is held, stories_latest shows its latest version that may be shown:
-- either this one or a version whose embargo has passed (story_holds, until <= now) — it no
-- longer reads the whole history (`stories`) to find it.
CREATE TABLE IF NOT EXISTS {db}.stories_clear
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

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.stories_clear_mv TO {db}.stories_clear AS
SELECT story_id, version, headline, first_published_at, last_published_at, item_count, places,
       agencies, languages, item_id, relation, status, embargoed_until, inserted_at
FROM {db}.stories
WHERE status = 'usable' AND embargoed_until IS NULL;

-- Same rows as 013's definition. A story's latest version that may be shown is its current
-- one (stories_current) or, when that is held, the highest of: its latest never-held version
-- (stories_clear) and its versions whose embargo has passed (story_holds until <= now; read
-- from `stories` by story_id and version, a handful of rows).
CREATE OR REPLACE VIEW {db}.stories_latest AS
SELECT story_id, version, headline, first_published_at, last_published_at, item_count,
       places, agencies, languages, item_id AS last_item_id
FROM {db}.stories_current FINAL
WHERE status = 'usable' AND ifNull(embargoed_until <= now64(3), 1)
  AND story_id NOT IN (SELECT merged_id FROM {db}.story_merges)
UNION ALL
SELECT story_id, version, headline, first_published_at, last_published_at, item_count,
       places, agencies, languages, last_item_id
FROM (
    SELECT story_id, version, headline, first_published_at, last_published_at, item_count,
           places, agencies, languages, item_id AS last_item_id
    FROM {db}.stories_clear FINAL
    WHERE story_id IN (SELECT story_id FROM {db}.stories_current FINAL
                       WHERE story_id IN (SELECT story_id FROM {db}.story_holds WHERE until > now64(3))
                         AND NOT (status = 'usable' AND ifNull(embargoed_until <= now64(3), 1)))
    UNION ALL
    SELECT story_id, version, headline, first_published_at, last_published_at, item_count,
           places, agencies, languages, item_id AS last_item_id
    FROM {db}.stories
    WHERE (story_id, version) IN (
            SELECT story_id, version FROM {db}.story_holds
            WHERE until <= now64(3)
              AND story_id IN (SELECT story_id FROM {db}.stories_current FINAL
                               WHERE story_id IN (SELECT story_id FROM {db}.story_holds WHERE until > now64(3))
                                 AND NOT (status = 'usable' AND ifNull(embargoed_until <= now64(3), 1))))
      AND status = 'usable' AND ifNull(embargoed_until <= now64(3), 1)
)
WHERE story_id NOT IN (SELECT merged_id FROM {db}.story_merges)
ORDER BY story_id, version DESC
LIMIT 1 BY story_id;

-- Upgrade: every story's latest never-held version already stored.
INSERT INTO {db}.stories_clear
SELECT * FROM {db}.stories FINAL
WHERE status = 'usable' AND embargoed_until IS NULL
ORDER BY story_id, version DESC LIMIT 1 BY story_id
SETTINGS insert_deduplicate = 0
