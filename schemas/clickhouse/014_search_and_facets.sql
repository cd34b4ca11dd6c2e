-- Search and filter choices that do not read every row (issue #14, item 5). Needs ClickHouse
-- >= 26.2 (the `text` index is GA there; chdb >= 4.4 embeds 26.x).
--
-- search_words: a full-text (inverted) index over lower(headline + '\n' + body), split on
-- non-alphanumeric characters, replacing the ngram bloom filter `search_text` (4,096 rows of
-- text per 32 KiB filter: saturated, a rare name's search read as long as with no index).
-- Costs disk: ~47 MiB next to items' 127 MiB at 1M bench items.
-- `lower(concat(headline, '\n', body)) LIKE '%word%'` finds the dictionary tokens containing
-- `word` and reads only the rows in their posting lists (the same rows as a scan: a LIKE is
-- still checked on every row read); patterns it cannot use fall back to reading the rows.
--
-- facets: per part, the number of rows per (source, language, places, status, embargo):
-- what the dashboard's filter choices count, so they read a few thousand pre-counted rows
-- instead of every item. A projection is part of each data part: it counts exactly what the
-- table holds (replays included, until a merge collapses them, then the projection is rebuilt
-- from the merged rows: deduplicate_merge_projection_mode = 'rebuild').
ALTER TABLE {db}.items MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE {db}.items DROP INDEX IF EXISTS search_text;

ALTER TABLE {db}.items
    ADD INDEX IF NOT EXISTS search_words lower(concat(headline, '\n', body)) TYPE text(tokenizer = splitByNonAlpha);

ALTER TABLE {db}.items
    ADD PROJECTION IF NOT EXISTS facets
    (SELECT source, language, places, status, embargoed_until, count()
     GROUP BY source, language, places, status, embargoed_until);

-- Upgrade: build both for the rows already stored.
ALTER TABLE {db}.items MATERIALIZE INDEX search_words SETTINGS mutations_sync = 2;

ALTER TABLE {db}.items MATERIALIZE PROJECTION facets SETTINGS mutations_sync = 2
