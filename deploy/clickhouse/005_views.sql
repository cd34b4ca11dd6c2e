-- Cluster version of schemas/clickhouse/005_views.sql: the same views on every node.
CREATE VIEW IF NOT EXISTS {db}.stories_latest ON CLUSTER '{cluster}' AS
SELECT story_id, version, headline, first_published_at, last_published_at, item_count,
       places, agencies, languages, item_id AS last_item_id
FROM {db}.stories FINAL
ORDER BY story_id, version DESC
LIMIT 1 BY story_id;

CREATE VIEW IF NOT EXISTS {db}.story_timeline ON CLUSTER '{cluster}' AS
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
