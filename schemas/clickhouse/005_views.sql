-- Latest version of each story (what dashboards list).
CREATE VIEW IF NOT EXISTS {db}.stories_latest AS
SELECT story_id, version, headline, first_published_at, last_published_at, item_count,
       places, agencies, languages, item_id AS last_item_id
FROM {db}.stories FINAL
ORDER BY story_id, version DESC
LIMIT 1 BY story_id;

-- A story's chain of items in time order, with the relation and evidence for each.
CREATE VIEW IF NOT EXISTS {db}.story_timeline AS
SELECT
    si.story_id       AS story_id,
    si.item_id        AS item_id,
    si.relation       AS relation,
    si.score          AS score,
    si.evidence       AS evidence,
    si.published_at   AS published_at,
    si.headline       AS headline,
    si.source         AS source,
    si.story_version  AS story_version,
    i.dateline        AS dateline,
    i.agencies        AS agencies,
    i.places          AS places,
    i.language        AS language,
    i.body            AS body
FROM (SELECT * FROM {db}.story_items FINAL) AS si
LEFT JOIN (SELECT * FROM {db}.items FINAL) AS i ON i.item_id = si.item_id
ORDER BY story_id, published_at, item_id;
