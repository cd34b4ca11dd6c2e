"""The schema and named queries as they were before this change (migrations 001-007, the old
wirestream/queries.py texts), rebuilt beside the new tables from the same rows, so
bench_queries.py --before can time old and new side by side in one run on the same data.

The old items table held one row per item (a revision replaced it): it gets the latest
version of each item; the old story_items one row per (story, time, item).
"""

from __future__ import annotations

from schemas.ddl import plan, render

OLD_QUERIES = {
    "stories": ("""
        SELECT story_id, item_count AS items, first_published_at, last_published_at, headline
        FROM {db}.stories_latest
        ORDER BY last_published_at DESC, story_id
        LIMIT {limit:UInt32}""", ("limit",)),
    "timeline": ("""
        SELECT published_at, relation, round(score, 3) AS score, dateline, headline, item_id
        FROM {db}.story_timeline
        WHERE story_id = {story_id:String}
        ORDER BY published_at, item_id""", ("story_id",)),
    "places": ("""
        SELECT arrayJoin(places) AS place, count() AS items, uniqExact(story_id) AS stories
        FROM {db}.items FINAL
        WHERE published_at >= now64(3) - toIntervalHour({hours:UInt32})
        GROUP BY place ORDER BY items DESC, place LIMIT {limit:UInt32}""", ("hours", "limit")),
    "agencies": ("""
        SELECT arrayJoin(agencies) AS agency, count() AS items, uniqExact(story_id) AS stories
        FROM {db}.items FINAL
        WHERE published_at >= now64(3) - toIntervalHour({hours:UInt32})
        GROUP BY agency ORDER BY items DESC, agency LIMIT {limit:UInt32}""", ("hours", "limit")),
    "relations": ("""
        SELECT relation, count() AS items, round(count() / sum(count()) OVER (), 4) AS share
        FROM {db}.story_items FINAL
        GROUP BY relation ORDER BY items DESC""", ()),
    "dlq": ("""
        SELECT stage, reason, count() AS letters, max(failed_at) AS last_failed_at
        FROM {db}.dlq FINAL
        GROUP BY stage, reason ORDER BY letters DESC LIMIT {limit:UInt32}""", ("limit",)),
}


def run_old(reader, db: str, name: str, **params):
    sql, names = OLD_QUERIES[name]
    return reader.query(sql.replace("{db}", db), {k: params[k] for k in names})


def build_before(client, src: str, dst: str) -> None:
    """Create ``dst`` with the pre-change DDL and copy ``src``'s rows into it (once)."""
    exists = client.query("SELECT count() FROM system.tables WHERE database = {d:String} AND name = 'items'",
                          parameters={"d": dst}).result_rows[0][0]
    if exists:
        return
    client.command(f"CREATE DATABASE IF NOT EXISTS {dst}")
    for step in plan():
        if step.migration <= "007_editorial_status":
            client.command(render(step.sql, dst))
    no_dedup = {"insert_deduplicate": 0}
    item_cols = [r[0] for r in client.query(
        "SELECT name FROM system.columns WHERE database = {d:String} AND table = 'items' "
        "AND name != 'inserted_at' ORDER BY position", parameters={"d": dst}).result_rows]
    latest = ", ".join(f"argMax({c}, (revision, fetched_at))" if c != "item_id" else c for c in item_cols)
    client.command(f"INSERT INTO {dst}.items ({', '.join(item_cols)}) SELECT {latest} FROM {src}.items "
                   "GROUP BY item_id", settings=no_dedup)
    si = "story_id, item_id, relation, score, evidence, published_at, headline, source, story_version"
    client.command(f"INSERT INTO {dst}.story_items ({si}) SELECT {si} FROM {src}.story_items "
                   "WHERE revision = 0", settings=no_dedup)
    st = ("story_id, version, headline, first_published_at, last_published_at, item_count, places, agencies, "
          "languages, item_id, relation")
    client.command(f"INSERT INTO {dst}.stories ({st}) SELECT {st} FROM {src}.stories", settings=no_dedup)
    client.command(f"INSERT INTO {dst}.dlq SELECT * FROM {src}.dlq", settings=no_dedup)
