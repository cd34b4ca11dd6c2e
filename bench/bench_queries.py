"""Analyst and dashboard query latency at scale, in embedded chdb (the default target).

    .venv/bin/python bench/bench_queries.py --items 1000000 [--runs 9] [--items-per-story 5]

Fills a fresh database with N synthetic items (N / items-per-story stories, spread over two
years up to now, ~2 % revised, ~3 % duplicates, 0.5 % withdrawn, 0.5 % under embargo, some
merged stories, dead letters) and prints p50/p95 ms of every named query
(wirestream/queries.py) and every dashboard read (wirestream/dashboard/data.py), each run
through the same DirectReader the CLI uses (rows converted to JSON types included).

How the rows are made: the first ``--python-items`` (default 20,000) go through the sink's own
row builders (processors/sink/rows.py: story events -> rows_for_story_event -> the sink's
writer). Filling millions through Python takes too long on this machine (~15k items/s), so the
rest is made by ``INSERT … SELECT FROM numbers()`` in the same shape: the column lists are
rows.COLUMNS, and the bench checks that both kinds of row agree column by column (same set of
non-empty columns) before it measures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.queries_before import build_before, run_old  # noqa: E402
from processors.sink.rows import COLUMNS, decode_story_event, rows_for_story_event  # noqa: E402
from wirecore.clickhouse import ClickHouseWriter, TableInsert, open_client, run_migrations  # noqa: E402
from wirestream.dashboard import data  # noqa: E402
from wirestream.queries import run_named  # noqa: E402
from wirestream.reader import DirectReader  # noqa: E402

DB = "wirestream"
SPAN_S = 2 * 365 * 86400  # items spread over two years
PLACES = [f"Place{i:03d}" for i in range(300)]
AGENCIES = ["ANP", "AFP", "Reuters", "AP", "dpa", "Belga", "EFE", "ANSA", "PAP", "TASS"]
SOURCES = ["anp", "reuters", "afp", "nos", "dpa", "bbc", "ap", "belga"]
LANGS = ["nl", "en", "de", "fr", "es"]
NEEDLE = "Zwartewaterland"  # injected into 1 in 50,000 bodies: what a rare-name search finds


def vocabulary(n: int = 3000) -> list[str]:
    syll = ["ka", "ro", "mi", "te", "lu", "sa", "ne", "vo", "di", "pa", "go", "ze", "bri", "sto", "an", "el"]
    return [syll[i % 16] + syll[(i // 16) % 16] + syll[(i // 256) % 16] + ("s" if i % 3 else "") for i in range(n)]


VOCAB = vocabulary()


# -- filling ---------------------------------------------------------------------------------
def python_events(n: int, start_ms: int, step_ms: float, ips: int) -> list[bytes]:
    """Story events shaped as the engine emits them, for the sink's own row builders."""
    out = []
    for i in range(n):
        s, k = story_of(i, ips)
        pub = datetime.fromtimestamp((start_ms + i * step_ms) / 1000, UTC).isoformat().replace("+00:00", "Z")
        words = [VOCAB[(i * 7919 + j * 104729) % len(VOCAB)] for j in range(40)]
        relation = "new" if k == 0 else ("duplicate" if i % 33 == 0 else "update")
        item = {
            "item_id": f"it{i:012d}", "guid": f"g{i}", "source": SOURCES[i % 8], "format": "ninjs",
            "headline": " ".join(words[:10]).capitalize(), "body": " ".join(words),
            "dateline": PLACES[s % 300].upper(), "places": [PLACES[s % 300]], "agencies": [AGENCIES[i % 10]],
            "language": LANGS[s % 5], "published_at": pub, "updated_at": None, "fetched_at": pub,
            "url": f"https://example.org/{i}", "revision": 0, "content_hash": f"h{i:016x}",
            "status": "usable", "embargoed_until": None, "urgency": 3, "subjects": ["politics"],
        }
        story = {"story_id": f"st{s:014d}", "version": k + 1, "headline": item["headline"],
                 "first_published_at": pub, "last_published_at": pub, "item_count": k + 1,
                 "places": item["places"], "agencies": item["agencies"], "languages": [item["language"]]}
        out.append(orjson.dumps({"item": item, "story_id": story["story_id"], "relation": relation, "score": 0.5,
                                 "evidence": {"candidates": 3}, "story": story,
                                 "raw_timestamp_ms": int(start_ms + i * step_ms),
                                 "redelivery": False, "merged_from": []}))
    return out


def story_of(i: int, ips: int) -> tuple[int, int]:
    """Stories interleave: each block of 1000*ips consecutive items holds 1000 stories."""
    block, r = divmod(i, 1000 * ips)
    return block * 1000 + r % 1000, r // 1000


def fill_python(client, n: int, start_ms: int, step_ms: float, ips: int) -> float:
    t = time.perf_counter()
    writer = ClickHouseWriter(client, DB)
    events = python_events(n, start_ms, step_ms, ips)
    for b in range(0, n, 5000):
        tables: dict[str, list[dict]] = {}
        for value in events[b:b + 5000]:
            for table, rows in rows_for_story_event(decode_story_event(value)).items():
                tables.setdefault(table, []).extend(rows)
        writer.write([TableInsert(t, r) for t, r in tables.items()], f"bench:{b}")
    return time.perf_counter() - t


def sql_fill(client, first: int, n: int, start_ms: int, step_ms: float, ips: int, chunk: int = 1_000_000) -> float:
    """The same rows as python_events, made by ClickHouse itself, chunk by chunk."""
    t = time.perf_counter()
    vocab = "[" + ",".join(f"'{w}'" for w in VOCAB) + "]"
    places = "[" + ",".join(f"'{p}'" for p in PLACES) + "]"
    agencies = "[" + ",".join(f"'{a}'" for a in AGENCIES) + "]"
    sources = "[" + ",".join(f"'{s}'" for s in SOURCES) + "]"
    langs = "[" + ",".join(f"'{x}'" for x in LANGS) + "]"
    nv = len(VOCAB)
    for lo in range(first, n, chunk):
        hi = min(n, lo + chunk)
        base = f"""
            SELECT number AS i,
                   intDiv(i, 1000 * {ips}) * 1000 + (i % (1000 * {ips})) % 1000 AS s,
                   intDiv(i % (1000 * {ips}), 1000) AS k,
                   concat('it', leftPad(toString(i), 12, '0')) AS item_id,
                   concat('st', leftPad(toString(s), 14, '0')) AS story_id,
                   fromUnixTimestamp64Milli(toInt64({start_ms} + i * {step_ms}), 'UTC') AS pub,
                   arrayMap(j -> {vocab}[1 + least({nv - 1}, toUInt32(pow({nv}, (cityHash64(i, j) % 1000000) / 1e6)))],
                            range(40)) AS words,
                   if(i % 50000 = 7, '{NEEDLE}', '') AS needle,
                   if(k = 0, 'new', if(i % 33 = 0, 'duplicate', 'update')) AS relation,
                   multiIf(i % 200 = 1, 'withdrawn', 'usable') AS status,
                   if(i % 200 = 2, pub + toIntervalDay(3650), NULL) AS embargoed_until,
                   {places}[1 + s % 300] AS place, {langs}[1 + s % 5] AS lang
            FROM numbers({lo}, {hi - lo})"""
        item_cols = ", ".join(COLUMNS["items"])
        client.command(f"""
            INSERT INTO {DB}.items ({item_cols})
            SELECT item_id, concat('g', toString(i)), {sources}[1 + i % 8], 'ninjs',
                   initcap(arrayStringConcat(arraySlice(words, 1, 10), ' ')),
                   concat(arrayStringConcat(words, ' '), ' ', needle), upper(place), [place],
                   [{agencies}[1 + i % 10]], lang, pub, NULL, pub, concat('https://example.org/', toString(i)),
                   0, hex(cityHash64(i)), story_id, relation, pub, status, embargoed_until, 3, ['politics']
            FROM ({base})""", settings={"insert_deduplicate": 0})
        # the other tables from this chunk's items (words are made once)
        window = (f"published_at >= fromUnixTimestamp64Milli(toInt64({start_ms} + {lo} * {step_ms}), 'UTC') "
                  f"AND published_at < fromUnixTimestamp64Milli(toInt64({start_ms} + {hi} * {step_ms}), 'UTC')")
        chunk_items = f"""
            SELECT *, toUInt64(substring(item_id, 3)) AS i, intDiv(i % (1000 * {ips}), 1000) AS k
            FROM {DB}.items WHERE {window} AND revision = 0"""
        si_cols = ", ".join(COLUMNS["story_items"])
        timeline = ("dateline, agencies, places, language, body, url, status, embargoed_until, urgency, subjects")
        client.command(f"""
            INSERT INTO {DB}.story_items ({si_cols})
            SELECT story_id, item_id, relation, 0.5, '{{"candidates":3}}', published_at, headline, source, k + 1,
                   content_hash, revision, {timeline}
            FROM ({chunk_items})""", settings={"insert_deduplicate": 0})
        st_cols = ", ".join(COLUMNS["stories"])
        for table in ("stories",):  # stories_current follows by materialized view
            client.command(f"""
                INSERT INTO {DB}.{table} ({st_cols})
                SELECT story_id, k + 1, headline, published_at - toIntervalSecond(k * 60), published_at, k + 1,
                       places, agencies, [ifNull(language, 'nl')], item_id, relation, status, embargoed_until
                FROM ({chunk_items}) WHERE relation != 'duplicate'""", settings={"insert_deduplicate": 0})
        # ~2 % of items get a second version (revision 1, new text), like a revised wire item
        client.command(f"""
            INSERT INTO {DB}.items ({item_cols})
            SELECT item_id, guid, source, format, concat(headline, ' (corrected)'), concat(body, ' Corrected.'),
                   dateline, places, agencies, language, published_at, published_at + toIntervalMinute(20),
                   fetched_at + toIntervalMinute(20), url, 1, concat(content_hash, 'r1'), story_id, 'revision',
                   raw_at, status, embargoed_until, urgency, subjects
            FROM {DB}.items WHERE {window} AND cityHash64(item_id) % 50 = 0 AND revision = 0""",
                       settings={"insert_deduplicate": 0})
        client.command(f"""
            INSERT INTO {DB}.story_items ({si_cols})
            SELECT story_id, item_id, 'revision', 0.9, '{{"near_copy":true}}', published_at, headline, source,
                   0, content_hash, revision, {timeline}
            FROM {DB}.items WHERE {window} AND revision = 1""", settings={"insert_deduplicate": 0})
        print(f"  filled {hi:,} items ({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
    client.command(f"""
        INSERT INTO {DB}.story_merges (merged_id, into_id, item_id, at)
        SELECT concat('st', leftPad(toString(number * 2 + 1), 14, '0')),
               concat('st', leftPad(toString(number * 2), 14, '0')), 'bridge', now64(3) FROM numbers(1000)""")
    client.command(f"""
        INSERT INTO {DB}.dlq (dlq_topic, dlq_partition, dlq_offset, stage, reason, origin_topic, origin_partition,
                              origin_offset, original, headers, failed_at)
        SELECT 'wire.dlq', 0, number, ['parse', 'stories', 'sink'][1 + number % 3],
               ['empty item', 'bad date', 'unparseable xml'][1 + number % 3], 'wire.raw', 0, number,
               base64Encode(concat('<item>', toString(number))), map(), now64(3) - toIntervalSecond(number)
        FROM numbers(20000)""")
    return time.perf_counter() - t


# -- what is measured ---------------------------------------------------------------------------
def before_workloads(reader: DirectReader, db: str, story: str) -> dict[str, callable]:
    """The same questions on the pre-change schema (bench/queries_before.py), by label."""
    flt, by_lang = data.StoryFilter(), data.StoryFilter(language="de", limit=50)

    def old(name: str, **params):
        return lambda: run_old(reader, db, name, **params)

    return {
        "query stories --limit 50": old("stories", limit=50),
        "query timeline": old("timeline", story_id=story),
        "query places --hours 24": old("places", hours=24, limit=20),
        "query agencies --hours 24": old("agencies", hours=24, limit=20),
        "query relations --hours 168": old("relations"),  # before: all time, no window
        "query dlq": old("dlq", limit=20),
        "dashboard list_stories": lambda: data.list_stories(reader, db, flt),
        "dashboard list_stories (language)": lambda: data.list_stories(reader, db, by_lang),
        "dashboard story_detail": lambda: data.story_detail(reader, db, story),
        "dashboard filter_options": lambda: data.filter_options(reader, db),
    }


def workloads(reader: DirectReader, n: int, ips: int) -> dict[str, callable]:
    _, recent = reader.query(f"SELECT story_id FROM {DB}.stories_latest ORDER BY last_published_at DESC LIMIT 1")
    story = recent[0][0]
    _, revised = reader.query(f"SELECT item_id FROM {DB}.items WHERE revision = 1 ORDER BY published_at DESC LIMIT 1")
    item = revised[0][0]
    _, last = reader.query(f"SELECT toString(max(inserted_at) - INTERVAL 1 SECOND) FROM {DB}.story_items")
    since_30d = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    flt = data.StoryFilter()
    by_lang = data.StoryFilter(language="de", limit=50)

    def named(name: str, **params):
        return lambda: run_named(reader, DB, name, **params)

    return {
        "query stories --limit 50": named("stories", limit=50),
        "stories_active(since=24 h) top 50": lambda: reader.query(
            f"SELECT story_id, headline, item_count FROM {DB}.stories_active(since = now64(3) - INTERVAL 1 DAY) "
            "ORDER BY last_published_at DESC, story_id LIMIT 50"),
        "stories_latest top 50 (whole view)": lambda: reader.query(
            f"SELECT story_id, headline, item_count FROM {DB}.stories_latest "
            "ORDER BY last_published_at DESC, story_id LIMIT 50"),
        "query timeline": named("timeline", story_id=story),
        "query versions --item-id": named("versions", item_id=item),
        "query search (rare name, 30 d)": named("search", q=NEEDLE, since=since_30d, limit=50),
        "query search (rare name, all time)": named("search", q=NEEDLE, since="2000-01-01", limit=50),
        "query search (common word, 30 d)": named("search", q=VOCAB[1], since=since_30d, limit=50),
        "query search (common word, all time)": named("search", q=VOCAB[1], since="2000-01-01", limit=50),
        "query search (uncommon word, all time)": named("search", q=VOCAB[2000], since="2000-01-01", limit=50),
        "query places --hours 24": named("places", hours=24, limit=20),
        "query agencies --hours 24": named("agencies", hours=24, limit=20),
        "query relations --hours 168": named("relations", hours=168),
        "query dlq": named("dlq", limit=20),
        "dashboard read_fingerprint": lambda: data.read_fingerprint(reader, DB),
        "dashboard changed_since": lambda: data.changed_since(reader, DB, last[0][0]),
        "dashboard list_stories": lambda: data.list_stories(reader, DB, flt),
        "dashboard list_stories (language)": lambda: data.list_stories(reader, DB, by_lang),
        "dashboard story_detail": lambda: data.story_detail(reader, DB, story),
        "dashboard filter_options": lambda: data.filter_options(reader, DB),
    }


def time_once(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def measure(fn, runs: int) -> tuple[float, float]:
    fn()  # warm: marks, caches
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def check_shapes(reader: DirectReader, py: int) -> None:
    """Rows from the builders and rows from the SQL fill leave the same columns empty (the SQL
    fill stands in honestly for the builders)."""
    boundary = f"it{py:012d}"
    optional = {"updated_at", "embargoed_until"}
    for table in ("items", "story_items", "stories"):
        cols = COLUMNS[table]
        filled = ", ".join(f"countIf(notEmpty(toString(`{c}`)))" for c in cols)

        def empty(cond: str, cols=cols, filled=filled, table=table) -> set[str]:
            _, r = reader.query(f"SELECT {filled} FROM {DB}.{table} WHERE {cond}")
            return {c for c, v in zip(cols, r[0], strict=True) if not v} - optional

        by_builder, by_sql = empty(f"item_id < '{boundary}'"), empty(f"item_id >= '{boundary}'")
        if by_builder != by_sql:
            raise SystemExit(f"{table}: builder rows leave {sorted(by_builder)} empty, SQL rows {sorted(by_sql)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--items-per-story", type=int, default=5)
    ap.add_argument("--python-items", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--data-dir", default=None, help="reuse a filled database here (filled if empty)")
    ap.add_argument("--before", action="store_true",
                    help="also copy the rows into the pre-change schema and time the old queries alternately")
    args = ap.parse_args()
    ips, n = args.items_per_story, args.items
    path = args.data_dir or tempfile.mkdtemp(prefix="bench-queries-")
    client = open_client(f"chdb://{path}")
    run_migrations(client, DB)
    reader = DirectReader(client)
    have = reader.query(f"SELECT count() FROM {DB}.items")[1][0][0]
    now_ms = int(time.time() * 1000)
    step_ms = SPAN_S * 1000 / n
    start_ms = now_ms - SPAN_S * 1000
    if have == 0:
        py = min(n, args.python_items)
        t_py = fill_python(client, py, start_ms, step_ms, ips)
        t_sql = sql_fill(client, py, n, start_ms, step_ms, ips)
        print(f"filled {n:,} items: {py:,} through rows_for_story_event + ClickHouseWriter in {t_py:.1f} s "
              f"({py / t_py:,.0f}/s), the rest by INSERT … SELECT in {t_sql:.0f} s", file=sys.stderr)
        check_shapes(reader, py)
    counts = {t: reader.query(f"SELECT count() FROM {DB}.{t}")[1][0][0]
              for t in ("items", "story_items", "stories", "stories_current", "dlq")}
    parts = reader.query(f"SELECT table, count(), uniqExact(partition) FROM system.parts WHERE database = '{DB}' "
                         "AND active GROUP BY table ORDER BY table")[1]
    sizes = reader.query(f"SELECT table, formatReadableSize(sum(data_compressed_bytes)), "
                         f"round(sum(data_uncompressed_bytes) / sum(data_compressed_bytes), 1) FROM system.parts "
                         f"WHERE database = '{DB}' AND active GROUP BY table ORDER BY table")[1]
    print(f"# bench_queries: {n:,} items, rows {counts}")
    print("# parts/partitions: " + ", ".join(f"{t} {p}/{q}" for t, p, q in parts))
    print("# compressed size (ratio): " + ", ".join(f"{t} {s} ({r}x)" for t, s, r in sizes))
    after = workloads(reader, n, ips)
    before: dict[str, callable] = {}
    if args.before:
        t = time.perf_counter()
        build_before(client, DB, "before")
        print(f"# before: pre-change schema filled from the same rows in {time.perf_counter() - t:.0f} s",
              file=sys.stderr)
        _, recent = reader.query(f"SELECT story_id FROM {DB}.stories_latest ORDER BY last_published_at DESC LIMIT 1")
        before = before_workloads(reader, "before", recent[0][0])
    extra = f" {'before p50':>10} {'after/before':>12}" if before else ""
    print(f"{'query':<40} {'p50 ms':>8} {'p95 ms':>8}{extra}")
    for name, fn in after.items():
        if name in before:  # alternate old and new so both see the same load
            fn(), before[name]()  # warm
            pairs = [(time_once(fn), time_once(before[name])) for _ in range(args.runs)]
            new, old = sorted(p[0] for p in pairs), sorted(p[1] for p in pairs)
            p50, p95, b50 = statistics.median(new), new[round(0.95 * (len(new) - 1))], statistics.median(old)
            print(f"{name:<40} {p50:8.1f} {p95:8.1f} {b50:10.1f} {p50 / b50:12.3f}", flush=True)
        else:
            p50, p95 = measure(fn, args.runs)
            print(f"{name:<40} {p50:8.1f} {p95:8.1f}", flush=True)

if __name__ == "__main__":
    main()
