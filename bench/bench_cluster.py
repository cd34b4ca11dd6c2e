"""Throughput and memory of the story engine on a long synthetic wire stream.

Run on purpose (not a test):  .venv/bin/python bench/bench_cluster.py [--items 100000]

The stream repeats the ECB+ train+dev documents with variations so it is neither all
duplicates nor a few giant stories: half the items come in pairs telling one made-up event,
the other half are single events —
about 90% of its longer words are replaced by pair-specific made-up words (new names, new places, new
vocabulary), and each item drops one word so no two are duplicates. Items are a few
seconds apart in event time, so most stories stay live inside the 72-hour idle window.
Items are wire-sized: the title plus the first three sentences.

Prints, per run, items/s of ``StoryEngine.assign`` in CPU time (generation excluded), live
stories and peak RSS; then medians, and the ratio to the single-pass TF-IDF baseline (full
scan) measured on a prefix in the same process, next to the engine on the same prefix.
``--ref HEAD~3`` times the engine of that commit interleaved with this one (the ratio is
the number to quote on a shared machine); ``--command`` times the whole ``wirestream cluster``
command (CPU and wall time).
"""

from __future__ import annotations

import argparse
import importlib
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import processors.stories  # noqa: E402, F401 - run_engine looks it up in sys.modules
from processors.stories import StoryDoc  # noqa: E402
from processors.stories.baselines import TfidfBaseline  # noqa: E402
from wirecore.heap import FrozenHeap  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ecbplus"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
_WORD = re.compile(r"\b(\w{4,})\b")


def load_base() -> list[tuple[str, str]]:
    rows = []
    for split in ("train", "dev"):
        for line in (DATA / f"ecbplus_{split}.jsonl").read_bytes().splitlines():
            row = orjson.loads(line)
            rows.append((row["title"], " ".join(row["text"].split("\n")[:3])))
    return rows


def make_stream(base: list[tuple[str, str]], n: int, seed: int = 0,
                seconds_apart: float = 2.5, words: int = 0) -> Iterator[StoryDoc]:
    """Items 4k and 4k+1 are one made-up event, 4k+2 and 4k+3 one each; each loses a word."""
    rnd = random.Random(seed)
    max_words = words
    for i in range(n):
        group = i - 1 if i % 4 == 1 else i
        title, text = base[group % len(base)]

        def vary(m: re.Match[str], g: int = group) -> str:
            word = m.group(1)
            h = zlib.crc32(f"{word}/{g}".encode())
            return f"{word[0]}{h:08x}"[:7] if h % 10 < 9 else word

        words = _WORD.sub(vary, text).split()
        if len(words) > 5:
            del words[rnd.randrange(len(words))]
        if max_words:
            words = words[:max_words]
        yield StoryDoc(
            id=f"i{i}", title=_WORD.sub(vary, title), text=" ".join(words),
            published_at=T0 + timedelta(seconds=i * seconds_apart), lang="en",
        )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


SHORT_WORDS = 0
CHUNK = 256  # items per featurise_many call, as ``wirestream cluster`` reads them


def run_engine(base: list[tuple[str, str]], n: int, package: Any = None) -> tuple[float, int, float]:
    """Items/s of ``assign`` in CPU seconds of this process (on a shared, loaded machine wall
    time mostly measures the neighbours), live stories at the end, peak RSS."""
    mod = package or sys.modules["processors.stories"]
    engine = mod.StoryEngine(mod.EngineConfig())
    docs = list(make_stream(base, n, words=SHORT_WORDS))
    many = getattr(sys.modules.get(f"{mod.__name__}.features"), "featurise_many", None)
    heap = FrozenHeap()  # as the stages run any engine: the GC kept off its state
    t = time.process_time()
    for start in range(0, n, CHUNK):
        chunk = docs[start:start + CHUNK]
        if many is None:  # an engine from before batch features: one item at a time
            for doc in chunk:
                engine.assign(doc)
        else:  # as the stories stage and ``cluster`` run it: features a chunk at a time
            for doc, features in zip(chunk, many(chunk, engine.config.stem_len), strict=True):
                engine.assign(doc, features)
        heap.settle(len(chunk))
    rate = n / (time.process_time() - t)
    heap.release()
    return rate, engine.live_stories, peak_rss_mb()


def load_ref_engine(ref: str) -> Any:
    """``processors/stories`` as of git ``ref``, imported as a separate package, so the old
    engine runs in the same process, on the same stream, interleaved with the new one."""
    root = Path(__file__).resolve().parents[1]
    tmp = Path(tempfile.mkdtemp(prefix="bench-ref-"))
    pkg = tmp / "ref_stories"
    pkg.mkdir()
    names = subprocess.run(["git", "-C", str(root), "ls-tree", "--name-only", ref,
                            "processors/stories/"], check=True, capture_output=True,
                           text=True).stdout.split()
    for name in names:
        if name.endswith(".py"):
            src = subprocess.run(["git", "-C", str(root), "show", f"{ref}:{name}"], check=True,
                                 capture_output=True, text=True).stdout
            (pkg / Path(name).name).write_text(src.replace("processors.stories", "ref_stories"))
    sys.path.insert(0, str(tmp))
    return importlib.import_module("ref_stories")


def run_command(base: list[tuple[str, str]], n: int, jobs: str | None = None) -> tuple[float, float]:
    """Items/s of the whole ``wirestream cluster`` command (a subprocess reading JSON lines
    and writing decisions), startup included: (per CPU second of it and its helper
    processes, per wall second). ``jobs``: its ``--jobs`` (None: its default)."""
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        src = Path(tmp) / "in.jsonl"
        with src.open("wb") as f:
            for d in make_stream(base, n, words=SHORT_WORDS):
                f.write(orjson.dumps({"id": d.id, "title": d.title, "text": d.text,
                                      "published_at": d.published_at.isoformat(),
                                      "lang": d.lang}) + b"\n")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "wirestream.cli", "cluster", "-i", str(src),
                        "-o", str(Path(tmp) / "out.jsonl"), *(["--jobs", jobs] if jobs else [])],
                       check=True,
                       cwd=Path(__file__).resolve().parents[1])  # this tree's wirestream
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return n / cpu, n / wall


def run_baseline(base: list[tuple[str, str]], n: int) -> float:
    baseline = TfidfBaseline()
    docs = list(make_stream(base, n, words=SHORT_WORDS))
    t = time.perf_counter()
    for doc in docs:
        baseline.assign(doc)
    return n / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-items", type=int, default=2_000)
    parser.add_argument("--short", type=int, default=0, metavar="WORDS",
                        help="cut item text to this many words (issue 14.3 measures 30)")
    parser.add_argument("--ref", default="", help="also time the engine as of this git ref")
    parser.add_argument("--command", action="store_true",
                        help="also time the whole `wirestream cluster` command")
    args = parser.parse_args()
    global SHORT_WORDS
    SHORT_WORDS = args.short
    base = load_base()
    from processors.stories.kernels import COMPILED

    print(f"stream: {args.items} items from {len(base)} ECB+ documents; "
          f"RSS before: {peak_rss_mb():.0f} MB; engine loops: "
          f"{'compiled' if COMPILED else 'pure Python (the compiled module is not built)'}")
    ref = load_ref_engine(args.ref) if args.ref else None
    rates, lives, ref_rates = [], [], []
    for run in range(args.runs):
        if ref is not None:
            ref_rates.append(run_engine(base, args.items, ref)[0])
            print(f"run {run}: {args.ref}: {ref_rates[-1]:,.0f} items/s")
        rate, live, rss = run_engine(base, args.items)
        rates.append(rate)
        lives.append(live)
        print(f"run {run}: {rate:,.0f} items/s, {live:,} live stories, peak RSS {rss:.0f} MB")
    print(f"median: {statistics.median(rates):,.0f} items/s (CPU time), "
          f"{statistics.median(lives):,.0f} live stories, peak RSS {peak_rss_mb():.0f} MB")
    if ref_rates:
        print(f"{args.ref} median: {statistics.median(ref_rates):,.0f} items/s; ratio "
              f"{statistics.median(rates) / statistics.median(ref_rates):.2f}x")
    if args.command:  # default (a helper process on a 2-core machine) and --jobs 0, interleaved
        cmd: dict[str, list[tuple[float, float]]] = {"default --jobs": [], "--jobs 0": []}
        for _ in range(args.runs):
            cmd["default --jobs"].append(run_command(base, args.items))
            cmd["--jobs 0"].append(run_command(base, args.items, "0"))
        for label, runs in cmd.items():
            cpu, wall = [c for c, _ in runs], [w for _, w in runs]
            print(f"wirestream cluster ({label}): per wall second "
                  f"{', '.join(f'{r:,.0f}' for r in wall)} (median {statistics.median(wall):,.0f}); "
                  f"per CPU second {', '.join(f'{r:,.0f}' for r in cpu)} "
                  f"(median {statistics.median(cpu):,.0f}) items/s")
    b_rate = run_baseline(base, args.baseline_items)
    e_rate = run_engine(base, args.baseline_items)[0]
    print(f"on the first {args.baseline_items} items: engine {e_rate:,.0f} items/s, "
          f"tf-idf baseline {b_rate:,.0f} items/s, ratio {e_rate / b_rate:.1f}x; "
          f"engine at {args.items} items vs baseline: "
          f"{statistics.median(rates) / b_rate:.1f}x")


if __name__ == "__main__":
    main()
