"""What the dashboard reads from ClickHouse: stories with their chains, one story's
timeline with evidence, filter choices and a change fingerprint.

Every function takes a ``Reader`` (owner API or direct client) and returns plain dicts; no
HTTP, no settings. Values are bound server-side (``{name:Type}``), never pasted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from wirestream.reader import Reader


@dataclass(frozen=True)
class StoryFilter:
    source: str | None = None
    language: str | None = None
    place: str | None = None
    limit: int = 50

    @classmethod
    def from_params(cls, params) -> StoryFilter:
        def pick(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value or None

        try:
            limit = max(1, min(500, int(params.get("limit") or 50)))
        except ValueError:
            limit = 50
        return cls(pick("source"), pick("language"), pick("place"), limit)

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in (("source", self.source), ("language", self.language),
                                  ("place", self.place)) if v}


def _rows(reader: Reader, sql: str, params: dict | None = None) -> list[dict]:
    cols, rows = reader.query(sql, params or {})
    return [dict(zip(cols, r, strict=True)) for r in rows]


def read_fingerprint(reader: Reader, db: str) -> str:
    """Changes whenever the sink stores a story update (or a merge folds replayed rows)."""
    _, rows = reader.query(
        f"SELECT count() AS n, toString(max(inserted_at)) AS last FROM {db}.story_items", {})
    n, last = rows[0] if rows else (0, "")
    return f"{n}:{last}"


def changed_since(reader: Reader, db: str, since: str | None) -> list[str]:
    """Story ids that got a row after ``since`` (a ``max(inserted_at)`` string)."""
    if not since:
        return []
    _, rows = reader.query(
        f"""SELECT DISTINCT story_id FROM {db}.story_items
            WHERE inserted_at > parseDateTime64BestEffort({{since:String}}, 3, 'UTC')
            LIMIT 100""", {"since": since})
    return [r[0] for r in rows]


def list_stories(reader: Reader, db: str, flt: StoryFilter) -> list[dict]:
    """Stories, newest activity first, each with its whole chain of items in time order."""
    where, params = [], {"limit": flt.limit}
    if flt.language:
        where.append("has(languages, {language:String})")
        params["language"] = flt.language
    if flt.place:
        where.append("has(places, {place:String})")
        params["place"] = flt.place
    if flt.source:
        where.append(f"story_id IN (SELECT story_id FROM {db}.story_items WHERE source = {{source:String}})")
        params["source"] = flt.source
    where_sql = ("WHERE " + " AND ".join(where)) if where else ""
    stories = _rows(reader, f"""
        SELECT story_id, version, headline, item_count, first_published_at, last_published_at,
               places, agencies, languages
        FROM {db}.stories_latest
        {where_sql}
        ORDER BY last_published_at DESC, story_id
        LIMIT {{limit:UInt32}}""", params)
    if not stories:
        return []
    by_story: dict[str, list[dict]] = {}
    for item in _rows(reader, f"""
            SELECT story_id, item_id, relation, score, published_at, headline, source, dateline,
                   agencies, places, language
            FROM {db}.story_timeline
            WHERE story_id IN {{ids:Array(String)}}
            ORDER BY story_id, published_at, item_id""", {"ids": [s["story_id"] for s in stories]}):
        by_story.setdefault(item.pop("story_id"), []).append(item)
    for s in stories:
        s["items"] = by_story.get(s["story_id"], [])
        s["sources"] = sorted({i["source"] for i in s["items"] if i.get("source")})
    return stories


def story_detail(reader: Reader, db: str, story_id: str) -> dict | None:
    """One story with its timeline: relation, score and parsed evidence per assignment."""
    found = _rows(reader, f"""
        SELECT story_id, version, headline, item_count, first_published_at, last_published_at,
               places, agencies, languages
        FROM {db}.stories_latest WHERE story_id = {{story_id:String}}""", {"story_id": story_id})
    if not found:
        return None
    story = found[0]
    items = _rows(reader, f"""
        SELECT item_id, relation, score, evidence, published_at, headline, source, story_version,
               dateline, agencies, places, language, body
        FROM {db}.story_timeline WHERE story_id = {{story_id:String}}
        ORDER BY published_at, item_id""", {"story_id": story_id})
    for item in items:
        item["evidence"] = parse_evidence(item.get("evidence"))
    story["items"] = items
    story["sources"] = sorted({i["source"] for i in items if i.get("source")})
    return story


def parse_evidence(raw) -> dict | str | None:
    if raw is None or isinstance(raw, dict):
        return raw
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def filter_options(reader: Reader, db: str) -> dict[str, list[str]]:
    """Choices for the source / language / place filters, most used first."""
    _, rows = reader.query(f"""
        SELECT 'source' AS kind, source AS value, count() AS n FROM {db}.story_items GROUP BY value
        UNION ALL
        SELECT 'language', ifNull(language, ''), count() FROM {db}.items GROUP BY 2
        UNION ALL
        SELECT 'place', arrayJoin(places), count() FROM {db}.items GROUP BY 2""", {})
    out: dict[str, list[tuple[int, str]]] = {"source": [], "language": [], "place": []}
    for kind, value, n in rows:
        if value:
            out[kind].append((-int(n), value))
    return {k: [v for _, v in sorted(pairs)][:200] for k, pairs in out.items()}
