"""Named analyst queries: one SQL text each, run through a Reader (owner API or direct);
``search`` reads its SQL in items' own order and finishes in Python (search_items).

``{db}`` is the configured database; values are bound server-side ({name:Type}), never
pasted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from wirecore.errors import WirestreamError
from wirestream.reader import Reader


class NothingFound(WirestreamError):
    """A query for one story or item by its id found none (exit 1: looked, not there)."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    help: str
    sql: str
    params: tuple[str, ...] = ()


# A story merged into another is read as part of its survivor (story_survivors).
_STORY_AND_MERGED = """(story_id = {story_id:String} OR story_id IN (
            SELECT story_id FROM {db}.story_survivors WHERE survivor_id = {story_id:String}))"""

# Items in a time window, each by its latest version, shown only when live views may show it.
# (LIMIT 1 BY over a sort, not argMax((...), (revision, fetched_at)): a tuple-keyed argMax of a
# tuple with arrays is ~3x slower per row.)
_LIVE_ITEMS_SINCE = """(
        SELECT places, agencies, story_id
        FROM (
            SELECT item_id, places, agencies, story_id, status, embargoed_until
            FROM {db}.items
            WHERE published_at >= now64(3) - toIntervalHour({hours:UInt32})
            ORDER BY item_id, revision DESC, fetched_at DESC
            LIMIT 1 BY item_id)
        WHERE status = 'usable' AND ifNull(embargoed_until <= now64(3), 1))"""

QUERIES: dict[str, NamedQuery] = {q.name: q for q in [
    # = stories_latest newest first, read from the tail of `stories` (ordered by activity):
    # stories_active over the newest limit x 100 versions. Exact unless fewer than `limit`
    # shown stories made the newest limit x 100 versions (then it lists fewer).
    NamedQuery("stories", "latest stories, newest activity first", """
        SELECT story_id, item_count AS items, first_published_at, last_published_at, headline
        FROM {db}.stories_active(since = (
            SELECT min(last_published_at) FROM (
                SELECT last_published_at FROM {db}.stories
                ORDER BY last_published_at DESC LIMIT {limit:UInt32} * 100)))
        ORDER BY last_published_at DESC, story_id
        LIMIT {limit:UInt32}""", ("limit",)),
    NamedQuery("timeline", "one story's items in time order (latest text, versions), merged stories included", f"""
        SELECT published_at, relation, round(score, 3) AS score, dateline, headline, versions, item_id
        FROM {{db}}.story_timeline
        WHERE {_STORY_AND_MERGED}
        ORDER BY published_at, item_id""", ("story_id",)),
    NamedQuery("versions", "every stored version of one item, oldest first", """
        SELECT revision, content_hash, status, published_at, updated_at, fetched_at, story_id, relation,
               headline, body
        FROM {db}.items
        WHERE item_id = {item_id:String}
        ORDER BY revision, fetched_at, inserted_at DESC
        LIMIT 1 BY content_hash""", ("item_id",)),  # a replayed copy of a version counts once
    # `lower(headline + body) LIKE '%text%'` (% _ \ in the text escaped): the expression of the
    # text index search_words, so only rows with a token containing the text are read. Newest
    # first by published_at alone (the head of items' sort key), so reading stops after `fetch`
    # rows and every column but published_at is read for those rows only (lazily; ordering by
    # item_id too made ClickHouse read it for every match: 2x slower for a rare name at 10M
    # items); run_named keeps each item's newest version, ties by item_id, and widens `fetch`
    # until the first `limit` items are certain (see search_items)
    NamedQuery("search", "items whose headline or body contains the text, newest first", r"""
        SELECT published_at, source, story_id, item_id, headline, content_hash
        FROM {db}.items
        WHERE published_at >= parseDateTime64BestEffort({since:String}, 3, 'UTC')
          AND lower(concat(headline, '\n', body))
              LIKE concat('%', replaceRegexpAll(lower({q:String}), '([%_\\\\])', '\\\\\\1'), '%')
          AND status = 'usable' AND ifNull(embargoed_until <= now64(3), 1)
        ORDER BY published_at DESC
        LIMIT {fetch:UInt32}""", ("q", "since", "fetch")),
    NamedQuery("places", "top dateline places in the last N hours", f"""
        SELECT arrayJoin(places) AS place, count() AS items, uniqExact(story_id) AS stories
        FROM {_LIVE_ITEMS_SINCE}
        GROUP BY place ORDER BY items DESC, place LIMIT {{limit:UInt32}}""", ("hours", "limit")),
    NamedQuery("agencies", "top agencies in the last N hours", f"""
        SELECT arrayJoin(agencies) AS agency, count() AS items, uniqExact(story_id) AS stories
        FROM {_LIVE_ITEMS_SINCE}
        GROUP BY agency ORDER BY items DESC, agency LIMIT {{limit:UInt32}}""", ("hours", "limit")),
    # from items (ordered by time, one row per version: a revision adds a `revision` row and
    # never replaces the `new`/`update` one), so a window reads only its granules
    NamedQuery("relations", "share of new/update/revision/duplicate decisions in the last N hours", """
        SELECT relation, count() AS items, round(count() / sum(count()) OVER (), 4) AS share
        FROM {db}.items FINAL
        WHERE published_at >= now64(3) - toIntervalHour({hours:UInt32})
        GROUP BY relation ORDER BY items DESC""", ("hours",)),
    # Reasons carry the offending value ("published_at 2027-… is beyond …", "unknown time zone
    # 'X'"): grouped by the reason with quoted values and numbers/times masked, one example kept.
    NamedQuery("dlq", "dead letters by stage and kind of reason (a re-sent dead letter counts once)", """
        SELECT stage, replaceRegexpAll(reason, '\\x27[^\\x27]*\\x27|"[^"]*"|[0-9][0-9:.TZ+-]*', '…') AS reason_kind,
               count() AS letters, max(failed_at) AS last_failed_at, any(reason) AS example
        FROM {db}.dlq FINAL
        GROUP BY stage, reason_kind ORDER BY letters DESC LIMIT {limit:UInt32}""", ("limit",)),
]}


def count_dead_letters(reader: Reader, database: str) -> int:
    """Dead letters stored so far (a re-sent one counts once): ``up`` counts its run's."""
    return int(reader.query(f"SELECT count() FROM {database}.dlq FINAL")[1][0][0])


def run_named(reader: Reader, database: str, name: str, **params) -> tuple[list[str], list[list]]:
    if name == "search":
        return search_items(reader, database, params["q"], params["since"], params["limit"])
    q = QUERIES[name]
    bound = {k: params[k] for k in q.params}
    return reader.query(q.sql.replace("{db}", database), bound)


def search_items(reader: Reader, database: str, text: str, since: str, limit: int) -> tuple[list[str], list[list]]:
    """The first ``limit`` items containing ``text``, newest first (ties by item_id), each by its
    newest matching version: the rows of

        ... ORDER BY published_at DESC, item_id LIMIT 1 BY item_id LIMIT limit

    A LIMIT BY (or an ORDER BY against items' sort key) makes ClickHouse read every matching
    row of the window before it can stop; the SQL here reads by published_at, newest first,
    and stops after ``fetch`` rows. Every instant newer than the oldest one fetched is then
    complete (all its rows are among them), so ties are put in order here: item_id, then the
    highest content hash first among one item's versions at one instant. When those are fewer
    than ``limit`` items (versions of one item, or many rows at one instant) it asks again for
    four times as many rows.
    """
    sql = QUERIES["search"].sql.replace("{db}", database)
    fetch = limit + max(10, limit // 10)  # room for a few versions; each row read costs a granule
    while True:
        cols, rows = reader.query(sql, {"q": text, "since": since, "fetch": fetch})
        cols = cols[:5]  # content_hash only orders one item's versions at one instant
        complete = len(rows) < fetch
        groups, last = 0, object()
        keyed = []
        # number the instants, newest first; within one, the highest content hash first
        for row in sorted(rows, key=lambda r: (r[0], r[5]), reverse=True):
            if row[0] != last:
                groups, last = groups + 1, row[0]
            keyed.append((groups, row[3], row[:5]))
        if not complete:  # the oldest instant may be cut short: keep only the newer ones
            keyed = [k for k in keyed if k[0] < groups]
        keyed.sort(key=lambda k: (k[0], k[1]))
        found, seen = [], set()
        for _, item_id, row in keyed:
            if item_id not in seen:
                seen.add(item_id)
                found.append(row)
        if complete or len(found) >= limit:
            return cols, found[:limit]
        fetch *= 4


def stories_with_items(reader: Reader, database: str, limit: int = 100) -> list[dict]:
    """Stories, newest activity first, each with its items in time order (for --json and up)."""
    cols, rows = run_named(reader, database, "stories", limit=limit)
    stories = [dict(zip(cols, r, strict=True)) for r in rows]
    if not stories:
        return []
    _, items = reader.query(
        f"""SELECT if(s.survivor_id != '', s.survivor_id, t.story_id) AS story_id, item_id, headline, published_at,
                   relation
            FROM {database}.story_timeline AS t
            LEFT JOIN (SELECT story_id, survivor_id FROM {database}.story_survivors
                       WHERE survivor_id IN {{ids:Array(String)}}) AS s ON s.story_id = t.story_id
            WHERE (t.story_id IN {{ids:Array(String)}} OR t.story_id IN (
                   SELECT story_id FROM {database}.story_survivors WHERE survivor_id IN {{ids:Array(String)}}))
              AND relation != 'duplicate'
            ORDER BY story_id, published_at, item_id""",
        {"ids": [s["story_id"] for s in stories]},
    )
    by_story: dict[str, list[dict]] = {}
    for story_id, item_id, headline, published_at, relation in items:
        by_story.setdefault(story_id, []).append(
            {"item_id": item_id, "headline": headline, "published_at": published_at, "relation": relation})
    return [
        {"story_id": s["story_id"], "headline": s["headline"], "item_count": s["items"],
         "first_published_at": s["first_published_at"], "last_published_at": s["last_published_at"],
         "items": by_story.get(s["story_id"], [])}
        for s in stories
    ]
