-- Stories the engine merged into another (StoryEvent.merged_from): merged_id now lives on
-- as into_id; item_id is the item whose evidence bridged them, at its publication time.
-- Latest views resolve a merged story to its survivor (story_survivors, stories_latest).
CREATE TABLE IF NOT EXISTS {db}.story_merges
(
    merged_id    String,
    into_id      String,
    item_id      String,
    at           DateTime64(3, 'UTC'),
    inserted_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
ORDER BY (merged_id, into_id)
SETTINGS non_replicated_deduplication_window = 10000
