"""Every ClickHouse read of the dashboard, as SQL constants plus the small functions that run them.

All SQL lives here so it can be re-pointed in one place (a latest-state stories table, a
search skip index) without touching the pages. Functions take a ``Reader`` and return plain
dicts; values are bound server-side (``{name:Type}``), never pasted into SQL. ``{db}`` is the
only thing formatted in, from settings.

The live page never shows copy an editor must not see: embargoed items (``embargoed_until``
in the future) and withdrawn/canceled items are filtered by ``VISIBLE`` everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from wirestream.reader import Reader

VISIBLE = "status NOT IN ('withdrawn', 'canceled') AND (embargoed_until IS NULL OR embargoed_until <= now64(3))"
# the expression of items' text index (search_words): only rows holding a token that contains
# the word are read
SEARCH_TERM = "lower(concat(headline, '\\n', body)) LIKE {%(p)s:String}"

FINGERPRINT = "SELECT count() AS n, toString(max(inserted_at)) AS last FROM {db}.story_items"
CHANGED_SINCE = """SELECT DISTINCT story_id FROM {db}.story_items
    WHERE inserted_at > parseDateTime64BestEffort({{since:String}}, 3, 'UTC') LIMIT 100"""

# stories with visible activity matching the filters, newest activity first. `items` is ordered
# by published_at, so the time range prunes parts; max() needs no FINAL (replays repeat rows)
RIVER_IDS = """SELECT story_id, max(published_at) AS last_at
    FROM {db}.items
    WHERE {where}
    GROUP BY story_id
    ORDER BY last_at DESC, story_id
    LIMIT {{limit:UInt32}}"""
# every visible item of the listed stories, in one read of story_timeline (story_items is keyed
# by story_id: no join, no scan of items): rows, sparklines and chains are built in Python
RIVER_ITEMS = """SELECT story_id, item_id, relation, published_at, headline, source, dateline, agencies, places,
           language, url, inserted_at
    FROM {db}.story_timeline
    WHERE story_id IN {{ids:Array(String)}}
    ORDER BY story_id, published_at, item_id"""

STORY_ITEMS = """SELECT item_id, relation, score, evidence, published_at, headline, source, story_version,
           dateline, agencies, places, language, body, url
    FROM {db}.story_timeline
    WHERE story_id = {{story_id:String}}
    ORDER BY published_at, item_id"""
STORY_HEADLINES = "SELECT story_id, headline FROM {db}.stories_latest WHERE story_id IN {{ids:Array(String)}}"
# per item of a story: the other stories active within 12 h of it that share one of its places
NEARBY_STORIES = f"""SELECT i.item_id AS item_id, o.story_id AS story_id,
           argMax(o.headline, o.published_at) AS headline, count() AS items
    FROM (SELECT item_id, published_at, places FROM {{db}}.story_timeline
          WHERE story_id = {{{{story_id:String}}}}) AS i
    CROSS JOIN (SELECT story_id, headline, published_at, places FROM {{db}}.items
                WHERE story_id != {{{{story_id:String}}}} AND {VISIBLE}
                  AND published_at BETWEEN {{{{first:DateTime64(3, 'UTC')}}}} - INTERVAL 12 HOUR
                                       AND {{{{last:DateTime64(3, 'UTC')}}}} + INTERVAL 12 HOUR) AS o
    WHERE hasAny(i.places, o.places) AND abs(dateDiff('second', i.published_at, o.published_at)) <= 43200
    GROUP BY item_id, story_id
    ORDER BY item_id, items DESC, story_id
    LIMIT 3 BY item_id"""

# each part answers from items' `facets` projection (rows pre-counted per source, language,
# places, status, embargo), not from its rows: places are counted per array, then unrolled
FILTER_OPTIONS = f"""SELECT 'source' AS kind, source AS value, count() AS n
    FROM {{db}}.items WHERE {VISIBLE} GROUP BY value
    UNION ALL
    SELECT 'language', ifNull(language, ''), count() FROM {{db}}.items WHERE {VISIBLE} GROUP BY 2
    UNION ALL
    SELECT 'place', arrayJoin(places) AS place, sum(n) FROM (
        SELECT places, count() AS n FROM {{db}}.items WHERE {VISIBLE} GROUP BY places) GROUP BY place"""

HEALTH_COUNTS = """SELECT
    (SELECT count() FROM {db}.dlq WHERE failed_at > now64(3) - INTERVAL 1 HOUR) AS dead_letters_1h,
    (SELECT count() FROM {db}.items WHERE inserted_at > now64(3) - INTERVAL 1 MINUTE) AS items_last_minute"""
ITEMS_PER_MINUTE = """SELECT toString(toStartOfMinute(inserted_at)) AS minute, count() AS n
    FROM {db}.items WHERE inserted_at > now64(3) - INTERVAL 30 MINUTE
    GROUP BY minute ORDER BY minute"""
DEAD_LETTERS = """SELECT dlq_topic, dlq_partition, dlq_offset, stage, reason, origin_topic, origin_partition,
           origin_offset, length(base64Decode(original)) AS size, failed_at
    FROM {db}.dlq FINAL
    ORDER BY failed_at DESC, dlq_offset DESC
    LIMIT {{limit:UInt32}}"""
DEAD_LETTER_ORIGINAL = """SELECT original FROM {db}.dlq FINAL
    WHERE dlq_topic = {{topic:String}} AND dlq_partition = {{partition:UInt32}} AND dlq_offset = {{offset:UInt64}}
    LIMIT 1"""

RANGES = {"1h": timedelta(hours=1), "6h": timedelta(hours=6), "24h": timedelta(hours=24),
          "7d": timedelta(days=7), "all": None, "custom": None}
DEFAULT_RANGE = "24h"
SPARK_HOURS = 24
CHAIN_LIMIT = 40  # updates shown when a row expands (the story page has them all)


@dataclass(frozen=True)
class StoryFilter:
    """What the river shows: filters, search words and time range, all round-tripped in the URL."""

    source: str | None = None
    language: str | None = None
    place: str | None = None
    q: str | None = None
    range: str = DEFAULT_RANGE
    start: str | None = None  # custom range, ISO (datetime-local) in UTC
    end: str | None = None
    limit: int = 60
    now: datetime = field(default_factory=lambda: datetime.now(UTC), compare=False)

    @classmethod
    def from_params(cls, params, now: datetime | None = None) -> StoryFilter:
        def pick(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value[:200] or None

        try:
            limit = max(1, min(500, int(params.get("limit") or 60)))
        except ValueError:
            limit = 60
        rng = pick("range") or DEFAULT_RANGE
        start, end = pick("from"), pick("to")
        if rng not in RANGES:
            rng = DEFAULT_RANGE
        if rng != "custom":
            start = end = None
        return cls(pick("source"), pick("language"), pick("place"), pick("q"), rng, start, end, limit,
                   now or datetime.now(UTC))

    def as_query(self) -> dict[str, str]:
        """The URL parameters (the default range is left out so plain ``/`` stays plain)."""
        pairs = (("q", self.q), ("source", self.source), ("language", self.language), ("place", self.place),
                 ("range", None if self.range == DEFAULT_RANGE else self.range), ("from", self.start),
                 ("to", self.end))
        return {k: v for k, v in pairs if v}

    def window(self) -> tuple[datetime | None, datetime | None]:
        """(since, until) in UTC; ``None`` is open."""
        if self.range == "custom":
            return _parse_utc(self.start), _parse_utc(self.end)
        span = RANGES.get(self.range)
        return (self.now - span if span else None), None

    def terms(self) -> list[str]:
        """Search words: every word must occur in the headline or the body (case-insensitive)."""
        return [w for w in re.findall(r"\w+", self.q or "")][:8]


def _parse_utc(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _ch_time(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _iso_param(value) -> str:
    """A timestamp as read back (ISO string or datetime) -> a DateTime64 parameter."""
    t = value if isinstance(value, datetime) else _parse_utc(str(value))
    return _ch_time(t) if t else "1970-01-01 00:00:00.000"


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _rows(reader: Reader, sql: str, params: dict | None = None) -> list[dict]:
    cols, rows = reader.query(sql, params or {})
    return [dict(zip(cols, r, strict=True)) for r in rows]


def river_where(flt: StoryFilter) -> tuple[str, dict]:
    """The WHERE clause and parameters selecting the items that put a story on the river."""
    where, params = [VISIBLE], {"limit": flt.limit}
    since, until = flt.window()
    if since:
        where.append("published_at >= {since:DateTime64(3, 'UTC')}")
        params["since"] = _ch_time(since)
    if until:
        where.append("published_at <= {until:DateTime64(3, 'UTC')}")
        params["until"] = _ch_time(until)
    for name in ("source", "language", "place"):
        value = getattr(flt, name)
        if value:
            where.append(f"has(places, {{{name}:String}})" if name == "place" else f"{name} = {{{name}:String}}")
            params[name] = value
    for n, word in enumerate(flt.terms()):
        where.append(SEARCH_TERM % {"p": f"t{n}"})
        params[f"t{n}"] = _like(word.lower())
    return " AND ".join(where), params


def read_fingerprint(reader: Reader, db: str) -> str:
    """Changes whenever the sink stores a story update (or a merge folds replayed rows)."""
    _, rows = reader.query(FINGERPRINT.format(db=db), {})
    n, last = rows[0] if rows else (0, "")
    return f"{n}:{last}"


def changed_since(reader: Reader, db: str, since: str | None) -> list[str]:
    """Story ids that got a row after ``since`` (a ``max(inserted_at)`` string)."""
    if not since:
        return []
    _, rows = reader.query(CHANGED_SINCE.format(db=db), {"since": since})
    return [r[0] for r in rows]


def list_stories(reader: Reader, db: str, flt: StoryFilter) -> list[dict]:
    """River rows, newest matching activity first: headline, counts, labels, sparkline, chain."""
    where, params = river_where(flt)
    ids = [r["story_id"] for r in _rows(reader, RIVER_IDS.format(db=db, where=where), params)]
    if not ids:
        return []
    by_story: dict[str, list[dict]] = {}
    for item in _rows(reader, RIVER_ITEMS.format(db=db), {"ids": ids}):
        by_story.setdefault(item.pop("story_id"), []).append(item)
    spark_end = (flt.window()[1] or flt.now).replace(minute=0, second=0, microsecond=0)
    spark_from = spark_end - timedelta(hours=SPARK_HOURS - 1)
    return [river_row(sid, by_story[sid], spark_from) for sid in ids if sid in by_story]


def river_row(story_id: str, items: list[dict], spark_from: datetime) -> dict:
    """One story's row from its visible items (time order): the latest headline, labels, activity."""
    activity = [0] * SPARK_HOURS
    for item in items:
        t = _parse_utc(str(item["published_at"]))
        if t is not None:
            slot = int((t - spark_from).total_seconds() // 3600)
            if 0 <= slot < SPARK_HOURS:
                activity[slot] += 1
    changed = max((str(i.pop("inserted_at")) for i in items), default="")
    return {
        "story_id": story_id, "headline": items[-1]["headline"], "item_count": len(items),
        "first_published_at": items[0]["published_at"], "last_published_at": items[-1]["published_at"],
        "places": sorted({p for i in items for p in i.get("places") or [] if p}),
        "agencies": sorted({a for i in items for a in i.get("agencies") or [] if a}),
        "languages": sorted({i["language"] for i in items if i.get("language")}),
        "sources": sorted({i["source"] for i in items if i.get("source")}),
        "changed_at": changed or None, "activity": activity, "activity_from": spark_from.isoformat(),
        "items": items[-CHAIN_LIMIT:],
    }


def story_detail(reader: Reader, db: str, story_id: str) -> dict | None:
    """One story: its visible items in time order with score, readable evidence and competitors."""
    items = _rows(reader, STORY_ITEMS.format(db=db), {"story_id": story_id})
    if not items:
        return None
    for item in items:
        item["evidence"] = parse_evidence(item.get("evidence"))
    matched = {i["evidence"].get("story_id") for i in items if isinstance(i["evidence"], dict)}
    matched.discard(None)
    matched.discard(story_id)
    headlines = {r["story_id"]: r["headline"] for r in _rows(
        reader, STORY_HEADLINES.format(db=db), {"ids": sorted(matched)})} if matched else {}
    nearby: dict[str, list[dict]] = {}
    for row in _rows(reader, NEARBY_STORIES.format(db=db), {
            "story_id": story_id, "first": _iso_param(items[0]["published_at"]),
            "last": _iso_param(items[-1]["published_at"])}):
        nearby.setdefault(row.pop("item_id"), []).append(row)
    for item in items:
        item["nearby"] = nearby.get(item["item_id"], [])
        ev = item["evidence"]
        if isinstance(ev, dict) and ev.get("story_id") in headlines:
            ev["story_headline"] = headlines[ev["story_id"]]
    latest = items[-1]
    return {
        "story_id": story_id, "headline": latest["headline"], "item_count": len(items),
        "first_published_at": items[0]["published_at"], "last_published_at": latest["published_at"],
        "places": sorted({p for i in items for p in i.get("places") or []}),
        "agencies": sorted({a for i in items for a in i.get("agencies") or []}),
        "languages": sorted({i["language"] for i in items if i.get("language")}),
        "sources": sorted({i["source"] for i in items if i.get("source")}),
        "items": items,
    }


def parse_evidence(raw) -> dict | str | None:
    if raw is None or isinstance(raw, dict):
        return raw
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def filter_options(reader: Reader, db: str) -> dict[str, list[str]]:
    """Choices for the source / language / place filters, most used first."""
    _, rows = reader.query(FILTER_OPTIONS.format(db=db), {})
    out: dict[str, list[tuple[int, str]]] = {"source": [], "language": [], "place": []}
    for kind, value, n in rows:
        if value:
            out[kind].append((-int(n), value))
    return {k: [v for _, v in sorted(pairs)][:200] for k, pairs in out.items()}


def pipeline_counts(reader: Reader, db: str) -> dict:
    """Dead letters in the last hour and items stored per minute (30 one-minute buckets)."""
    (counts,) = _rows(reader, HEALTH_COUNTS.format(db=db))
    per_minute = {str(r["minute"])[:16].replace("T", " "): int(r["n"])
                  for r in _rows(reader, ITEMS_PER_MINUTE.format(db=db))}
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    minutes = [(end - timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M") for m in range(29, -1, -1)]
    return {"dead_letters_1h": int(counts["dead_letters_1h"]),
            "items_per_minute": [per_minute.get(m, 0) for m in minutes]}


def dead_letters(reader: Reader, db: str, limit: int = 100) -> list[dict]:
    return _rows(reader, DEAD_LETTERS.format(db=db), {"limit": limit})


def dead_letter_original(reader: Reader, db: str, topic: str, partition: int, offset: int) -> str | None:
    """The original bytes (base64, as stored) of one dead letter, or None."""
    _, rows = reader.query(DEAD_LETTER_ORIGINAL.format(db=db),
                           {"topic": topic, "partition": partition, "offset": offset})
    return rows[0][0] if rows else None
