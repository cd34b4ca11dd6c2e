"""Named analyst queries: one SQL text each, run through a Reader (owner API or direct).

``{db}`` is the configured database; values are bound server-side ({name:Type}), never
pasted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from wirestream.reader import Reader


@dataclass(frozen=True)
class NamedQuery:
    name: str
    help: str
    sql: str
    params: tuple[str, ...] = ()


QUERIES: dict[str, NamedQuery] = {q.name: q for q in [
    NamedQuery("stories", "latest stories, newest activity first", """
        SELECT story_id, item_count AS items, first_published_at, last_published_at, headline
        FROM {db}.stories_latest
        ORDER BY last_published_at DESC, story_id
        LIMIT {limit:UInt32}""", ("limit",)),
    NamedQuery("timeline", "one story's items in time order, with relation and score", """
        SELECT published_at, relation, round(score, 3) AS score, dateline, headline, item_id
        FROM {db}.story_timeline
        WHERE story_id = {story_id:String}
        ORDER BY published_at, item_id""", ("story_id",)),
    NamedQuery("places", "top dateline places in the last N hours", """
        SELECT arrayJoin(places) AS place, count() AS items, uniqExact(story_id) AS stories
        FROM {db}.items FINAL
        WHERE published_at >= now64(3) - toIntervalHour({hours:UInt32})
        GROUP BY place ORDER BY items DESC, place LIMIT {limit:UInt32}""", ("hours", "limit")),
    NamedQuery("agencies", "top agencies in the last N hours", """
        SELECT arrayJoin(agencies) AS agency, count() AS items, uniqExact(story_id) AS stories
        FROM {db}.items FINAL
        WHERE published_at >= now64(3) - toIntervalHour({hours:UInt32})
        GROUP BY agency ORDER BY items DESC, agency LIMIT {limit:UInt32}""", ("hours", "limit")),
    NamedQuery("relations", "share of new/update/revision/duplicate decisions", """
        SELECT relation, count() AS items, round(count() / sum(count()) OVER (), 4) AS share
        FROM {db}.story_items FINAL
        GROUP BY relation ORDER BY items DESC"""),
    NamedQuery("dlq", "dead letters by stage and reason", """
        SELECT stage, reason, count() AS letters, max(failed_at) AS last_failed_at
        FROM {db}.dlq FINAL
        GROUP BY stage, reason ORDER BY letters DESC LIMIT {limit:UInt32}""", ("limit",)),
]}


def run_named(reader: Reader, database: str, name: str, **params) -> tuple[list[str], list[list]]:
    q = QUERIES[name]
    bound = {k: params[k] for k in q.params}
    return reader.query(q.sql.replace("{db}", database), bound)


def stories_with_items(reader: Reader, database: str, limit: int = 100) -> list[dict]:
    """Stories, newest activity first, each with its items in time order (for --json and up)."""
    cols, rows = run_named(reader, database, "stories", limit=limit)
    stories = [dict(zip(cols, r, strict=True)) for r in rows]
    if not stories:
        return []
    _, items = reader.query(
        f"""SELECT story_id, item_id, headline, published_at, relation
            FROM {database}.story_timeline
            WHERE story_id IN {{ids:Array(String)}} AND relation != 'duplicate'
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
