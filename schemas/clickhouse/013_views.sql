-- Each merged story resolved to the story that survives it (merges of merges followed up to
-- three levels deep).
CREATE OR REPLACE VIEW {db}.story_survivors AS
SELECT m1.merged_id AS story_id,
       multiIf(m3.into_id != '', m3.into_id, m2.into_id != '', m2.into_id, m1.into_id) AS survivor_id
FROM (SELECT merged_id, any(into_id) AS into_id FROM {db}.story_merges GROUP BY merged_id) AS m1
LEFT JOIN (SELECT merged_id, any(into_id) AS into_id FROM {db}.story_merges GROUP BY merged_id) AS m2
    ON m2.merged_id = m1.into_id
LEFT JOIN (SELECT merged_id, any(into_id) AS into_id FROM {db}.story_merges GROUP BY merged_id) AS m3
    ON m3.merged_id = m2.into_id;

-- What a story looks like now, for live views: the latest version from stories_current,
-- except stories merged into another (their survivor carries them) and versions made by held
-- copy (embargoed until later, withdrawn, canceled): for those the latest version that may be
-- shown, from the history. A story of held copy only is not listed until its time.
-- Listing the newest few over millions of stories? stories_active(since = …) below.
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
    FROM {db}.stories
    WHERE story_id IN (SELECT story_id FROM {db}.stories_current FINAL
                       WHERE story_id IN (SELECT story_id FROM {db}.story_holds WHERE until > now64(3))
                         AND NOT (status = 'usable' AND ifNull(embargoed_until <= now64(3), 1)))
      AND status = 'usable' AND ifNull(embargoed_until <= now64(3), 1)
      AND story_id NOT IN (SELECT merged_id FROM {db}.story_merges)
    ORDER BY story_id, version DESC
    LIMIT 1 BY story_id
);

-- The same rules for the stories active since a time, read from the tail of `stories`
-- (ordered by last activity: the first version met per story is its latest that may be
-- shown), so the cost follows the window, not the number of stories. A parameterized view:
--   SELECT … FROM wirestream.stories_active(since = now64(3) - INTERVAL 1 DAY)
--   ORDER BY last_published_at DESC LIMIT 50
CREATE OR REPLACE VIEW {db}.stories_active AS
SELECT story_id, version, headline, first_published_at, last_published_at, item_count,
       places, agencies, languages, item_id AS last_item_id
FROM {db}.stories
WHERE last_published_at >= {since:DateTime64(3, 'UTC')}
  AND status = 'usable' AND ifNull(embargoed_until <= now64(3), 1)
  AND story_id NOT IN (SELECT merged_id FROM {db}.story_merges)
ORDER BY last_published_at DESC, version DESC
LIMIT 1 BY story_id;

-- A story's chain of items for live views, one row per item: where it came in (relation,
-- score, evidence of its first version), its latest text and status, and how many versions
-- it has (earlier texts: items, or `wirestream query versions --item-id`). Items whose
-- latest version is withdrawn, canceled or still embargoed are left out (see story_items).
-- Filter on story_id: the filter reaches story_items' sorting key, nothing else is read.
-- Event time decides the opener: an item that arrived late but is older than the story's
-- first item was recorded as `new`, and the earlier opener is shown as an `update` from then on.
CREATE OR REPLACE VIEW {db}.story_timeline AS
SELECT story_id, item_id,
       if(first.1 = 'new' AND first_at > min(first_at) OVER (PARTITION BY story_id), 'update', first.1)
           AS relation,
       first.2 AS score, first.3 AS evidence,
       first.4 AS story_version, first_at AS published_at, source, last_revision AS revision, versions,
       latest.1 AS headline, latest.2 AS body, latest.3 AS dateline, latest.4 AS agencies,
       latest.5 AS places, latest.6 AS language, latest.7 AS url, latest.8 AS status,
       latest.9 AS embargoed_until, latest.10 AS urgency, latest.11 AS subjects, last_inserted_at AS inserted_at
FROM (
    SELECT story_id, item_id,
           argMin((relation, score, evidence, story_version), (revision, inserted_at)) AS first,
           argMax((headline, body, dateline, agencies, places, language, url, status,
                   embargoed_until, urgency, subjects), (revision, inserted_at)) AS latest,
           min(published_at) AS first_at, any(source) AS source,
           max(revision) AS last_revision, uniqExact(content_hash) AS versions,
           max(inserted_at) AS last_inserted_at
    FROM {db}.story_items
    GROUP BY story_id, item_id
)
WHERE latest.8 = 'usable' AND ifNull(latest.9 <= now64(3), 1)
