"""Benchmark ``parse_raw_item``: median items/s per format over several runs, one core.

Items are the shared sample page's seven feed items, rendered in every format. The baseline
is bare work on the same bytes in the same process (orjson round trip + one regex), so the
ratio says how many times more expensive the full parse is than touching the bytes.

    .venv/bin/python bench/bench_parse.py [--runs 7] [--seconds 0.5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from processors.parsing import parse_raw_item  # noqa: E402
from producers.formats import split_document  # noqa: E402
from schemas.models import RawMeta  # noqa: E402

PAGE = REPO / "../shared/data/anp-buitenland-page.txt"
FETCHED = "2026-01-24T18:00:00+01:00"
NOW = datetime(2026, 1, 24, 17, tzinfo=UTC)
BYLINE = re.compile(rb"^([A-Z][A-Z /]+) \(([A-Z/]+)\) - ")


def sample_texts() -> list[str]:
    result = split_document(PAGE.read_bytes(), "listing", source="anp", fetched_at=FETCHED)
    return [i.payload.decode().rsplit("\n", 1)[0] for i in result.items[1:]]


def items_by_format() -> dict[str, list[bytes]]:
    texts = sample_texts()
    listing = [i.payload for i in split_document(PAGE.read_bytes(), "listing", source="anp",
                                                 fetched_at=FETCHED).items[1:]]
    rss = [(f"<item><title>{escape(t[:60])}</title><guid>g{n}</guid>"
            f"<pubDate>Sat, 24 Jan 2026 17:0{n}:00 +0100</pubDate>"
            f"<description><![CDATA[<p>{t}</p>]]></description></item>").encode()
           for n, t in enumerate(texts)]
    atom = [(f'<entry xmlns="http://www.w3.org/2005/Atom"><title>{escape(t[:60])}</title>'
             f"<id>g{n}</id><updated>2026-01-24T17:0{n}:00+01:00</updated>"
             f'<content type="html">{escape(t)}</content></entry>').encode()
            for n, t in enumerate(texts)]
    ninjs = [orjson.dumps({"uri": f"g{n}", "headlines": [{"value": t[:60]}],
                           "bodies": [{"contenttype": "text/plain", "value": t}],
                           "versioncreated": "2026-01-24T17:00:00+01:00"})
             for n, t in enumerate(texts)]
    newsml = [(f'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g{n}" version="1">'
               f"<itemMeta><versionCreated>2026-01-24T17:00:00+01:00</versionCreated></itemMeta>"
               f"<contentMeta><headline>{escape(t[:60])}</headline></contentMeta><contentSet>"
               f'<inlineData contenttype="text/plain">{escape(t)}</inlineData></contentSet>'
               f"</newsItem>").encode() for n, t in enumerate(texts)]
    jsonl = [orjson.dumps({"guid": f"g{n}", "headline": t[:60], "body": t,
                           "published_at": "2026-01-24T17:00:00+01:00"})
             for n, t in enumerate(texts)]
    return {"listing": listing, "rss": rss, "atom": atom, "ninjs": ninjs, "newsml": newsml,
            "jsonl": jsonl}


def rate(fn, payloads: list[bytes], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for p in payloads:
            fn(p)
        done += len(payloads)
    return done / elapsed


def baseline(payload: bytes) -> None:
    orjson.loads(orjson.dumps(payload.decode()))
    BYLINE.match(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    formats = items_by_format()
    all_payloads = [p for ps in formats.values() for p in ps]
    start = time.perf_counter()
    for fmt, payloads in formats.items():  # warm up: one-time loads (gazetteer) are not per item
        parse_raw_item(payloads[0], RawMeta(source="anp-bench", format=fmt, fetched_at=FETCHED),
                       now=NOW)
    print(f"warm-up (one-time loads, e.g. the gazetteer): {time.perf_counter() - start:.2f} s")
    base = statistics.median(rate(baseline, all_payloads, args.seconds) for _ in range(args.runs))
    print(f"{'format':<8} {'items/s (median)':>17} {'min':>9} {'max':>9} {'baseline/x':>11}")
    print(f"{'baseline':<8} {base:>17,.0f}")
    for fmt, payloads in formats.items():
        meta = RawMeta(source="anp-bench", format=fmt, fetched_at=FETCHED)

        def parse(p: bytes, meta=meta) -> None:
            parse_raw_item(p, meta, now=NOW)

        runs = [rate(parse, payloads, args.seconds) for _ in range(args.runs)]
        median = statistics.median(runs)
        print(f"{fmt:<8} {median:>17,.0f} {min(runs):>9,.0f} {max(runs):>9,.0f} "
              f"{base / median:>10.1f}x")
    bench_language(sample_texts(), args)


def bench_language(texts: list[str], args) -> None:
    """Language detection alone: the stop-word vote used first vs lingua on every item."""
    from wirecore.language import _LINGUA_CHARS, _detector, detect_language

    lingua = _detector()
    vote = statistics.median(rate(detect_language, texts, args.seconds) for _ in range(args.runs))
    full = statistics.median(
        rate(lambda t: lingua.detect_language_of(t[:_LINGUA_CHARS]), texts, args.seconds)
        for _ in range(args.runs))
    print(f"language: stop-word vote {vote:,.0f}/s, lingua low-accuracy "
          f"({_LINGUA_CHARS} chars) {full:,.0f}/s")


if __name__ == "__main__":
    main()
