"""How fast the dashboard's reads are on a big items table (embedded chdb, this machine).

    python bench/bench_dashboard.py --items 1000000 --repeat 7

Generates ``--items`` items (one story per 5 items, over 30 days, 1 in 50 embargoed or
withdrawn) with ``INSERT ... SELECT FROM numbers()``, then times each dashboard read
(wirestream/dashboard/data.py) and prints medians, and each read's ratio to the plain 24 h
river (the baseline, same run). Search runs ``ILIKE`` on headline and body; a skip index on
items (schema work) should bring the search rows down without changing this code.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from wirecore.clickhouse import open_client, run_migrations
from wirestream.dashboard import data
from wirestream.reader import DirectReader

DB = "wirestream"
WORDS = ["storm", "flood", "court", "vote", "strike", "fire", "market", "police", "border", "summit"]

GENERATE = f"""INSERT INTO {DB}.items (item_id, guid, source, format, headline, body, places, agencies, language,
        published_at, fetched_at, revision, content_hash, story_id, relation, raw_at, status, embargoed_until)
    SELECT toString(number), toString(number), ['anp', 'reuters', 'afp'][number % 3 + 1], 'jsonl',
           concat(arrayElement({WORDS}, number % 10 + 1), ' headline number ', toString(number)),
           concat('Body text ', toString(number), ' about ', arrayElement({WORDS}, (number * 7) % 10 + 1),
                  if(number % 100000 = 7, ' zebrafinch', ''), ' with some more words to make it a paragraph.'),
           [['Amsterdam', 'Brussel', 'Berlijn', 'Parijs'][number % 4 + 1]], ['ANP'], ['nl', 'en'][number % 2 + 1],
           now64(3) - toIntervalSecond(number % 2592000), now64(3), 0, toString(number),
           concat('s', toString(intDiv(number, 5))), if(number % 5 = 0, 'new', 'update'), now64(3),
           if(number % 50 = 1, 'withdrawn', 'usable'),
           if(number % 50 = 2, now64(3) + INTERVAL 1 DAY, NULL)
    FROM numbers({{n:UInt64}})"""


# the river's second step as it was before (three scans of items FINAL), kept as the baseline
# that the single RIVER_ITEMS scan is measured against in the same run
THREE_SCANS = [f"""SELECT story_id, argMax(headline, published_at), count(), min(published_at), max(published_at),
        groupUniqArrayArray(places), groupUniqArrayArray(agencies), groupUniqArray(assumeNotNull(language)),
        groupUniqArray(source), max(inserted_at)
    FROM {DB}.items FINAL WHERE story_id IN {{ids:Array(String)}} AND {data.VISIBLE} GROUP BY story_id""",
               f"""SELECT story_id, toStartOfHour(published_at) AS hour, count() FROM {DB}.items FINAL
    WHERE story_id IN {{ids:Array(String)}} AND {data.VISIBLE} AND published_at > now64(3) - INTERVAL 1 DAY
    GROUP BY story_id, hour""",
               f"""SELECT story_id, item_id, relation, published_at, headline, source, dateline, agencies, places,
        language, url FROM {DB}.items FINAL WHERE story_id IN {{ids:Array(String)}} AND {data.VISIBLE}
    ORDER BY story_id, published_at DESC, item_id LIMIT 40 BY story_id"""]


def timed(fn, repeat: int) -> float:
    fn()  # warm caches: the dashboard runs the same reads every few seconds
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        client = open_client(f"chdb://{tmp}/ch")
        run_migrations(client, DB)
        t = time.perf_counter()
        client.command(GENERATE.replace("{n:UInt64}", str(args.items)))
        client.command(f"OPTIMIZE TABLE {DB}.items FINAL")
        print(f"generated {args.items:,} items in {time.perf_counter() - t:.1f}s")
        reader = DirectReader(client)
        cases = {
            "river 24h (baseline)": data.StoryFilter(),
            "river 7d": data.StoryFilter(range="7d"),
            "river all + source": data.StoryFilter(range="all", source="afp"),
            "search rare word, all time": data.StoryFilter(range="all", q="zebrafinch"),
            "search common word, 24h": data.StoryFilter(q="storm"),
            "search two words, 7d": data.StoryFilter(range="7d", q="court paragraph"),
        }
        base = None
        for name, flt in cases.items():
            ms = timed(lambda flt=flt: data.list_stories(reader, DB, flt), args.repeat)
            base = base or ms
            print(f"{name:32s} median {ms:8.1f} ms   x{ms / base:5.2f}")
        where, params = data.river_where(data.StoryFilter())
        ids = [r[0] for r in reader.query(data.RIVER_IDS.format(db=DB, where=where), params)[1]]
        one = timed(lambda: reader.query(data.RIVER_ITEMS.format(db=DB), {"ids": ids}), args.repeat)
        three = timed(lambda: [reader.query(q, {"ids": ids}) for q in THREE_SCANS], args.repeat)
        print(f"{'river rows: three scans (before)':32s} median {three:8.1f} ms   x{three / base:5.2f}")
        print(f"{'river rows: one scan (now)':32s} median {one:8.1f} ms   x{one / base:5.2f}"
              f"   ({three / one:.1f}x faster)")
        sid = data.list_stories(reader, DB, data.StoryFilter())[0]["story_id"]
        for name, fn in {
            "story page": lambda: data.story_detail(reader, DB, sid),
            "health counts": lambda: data.pipeline_counts(reader, DB),
            "filter options": lambda: data.filter_options(reader, DB),
        }.items():
            ms = timed(fn, args.repeat)
            print(f"{name:32s} median {ms:8.1f} ms   x{ms / base:5.2f}")
        client.close()


if __name__ == "__main__":
    main()
