"""Streaming evaluation on ECB+ (or any JSON-lines file with ``story_id``).

Each split is streamed one item at a time in shuffled orders (``random.Random(seed)``),
decisions final, and scored with the project's metrics; the mean over orders is reported.
"""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from processors.stories.baselines import TfidfBaseline, singletons
from processors.stories.engine import StoryEngine
from processors.stories.metrics import bcubed, nmi, pairwise
from processors.stories.model import (
    DUPLICATE,
    NEW,
    REVISION,
    UPDATE,
    Assignment,
    EngineConfig,
    StoryDoc,
)
from wirecore.dates import parse_iso as parse_time

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
SHORT_WORDS = 30
BASELINE_THRESHOLD = 0.2  # tuned on dev, full text

# a clusterer returns one label per doc and the (item, matched item) pairs it called copies
Clusterer = Callable[[Sequence[StoryDoc]], tuple[list[str], list[tuple[str, str]]]]


@dataclass(slots=True)
class LabelledDoc:
    doc: StoryDoc
    gold: str


def shorten(title: str, text: str) -> tuple[str, str]:
    """Title + the first ~30 words, lowercased, punctuation removed: a headline-feed item."""
    clean = " ".join(_PUNCT.sub(" ", text.lower()).split()[:SHORT_WORDS])
    return " ".join(_PUNCT.sub(" ", title.lower()).split()), clean


def load_split(path: Path, short: bool = False) -> list[LabelledDoc]:
    """The labelled documents of one split file; ``ValueError`` naming the line when one is
    not a labelled document (scores of a silently shortened split would mislead)."""
    out = []
    for n, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
            title, text = row["title"], row["text"]
            if short:
                title, text = shorten(title, text)
            doc = StoryDoc(id=str(row["id"]), title=title, text=text,
                           published_at=parse_time(row.get("published_at")),
                           lang=row.get("lang") or "en")
            out.append(LabelledDoc(doc, str(row["story_id"])))
        except (orjson.JSONDecodeError, TypeError, KeyError, AttributeError) as exc:
            what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"{path}: line {n}: not a labelled document ({what})") from None
    return out


def engine_clusterer(config: EngineConfig) -> Clusterer:
    """Labels from a fresh engine, and the items it called duplicates or revisions."""

    def run(docs: Sequence[StoryDoc]) -> tuple[list[str], list[tuple[str, str]]]:
        engine = StoryEngine(config)
        out = [engine.assign(d) for d in docs]
        copies = [
            (d.id, str(a.evidence.get("matched_item")))
            for d, a in zip(docs, out, strict=True)
            if a.relation in (DUPLICATE, REVISION)
        ]
        return final_stories(out), copies

    return run


def final_stories(decisions: Sequence[Assignment]) -> list[str]:
    """Each decision's story at the end of the stream: merged stories count as the survivor."""
    parent: dict[str, str] = {}
    for a in decisions:
        for gone in a.merged:
            parent[gone] = a.story_id

    def root(sid: str) -> str:
        while sid in parent:
            sid = parent[sid]
        return sid

    return [root(a.story_id) for a in decisions]


def final_relations(docs: Sequence[StoryDoc], decisions: Sequence[Assignment]) -> list[str]:
    """Each decision's relation at the end of the stream: demoted openers count as updates."""
    demoted = {item for a in decisions for item in a.demoted}
    return [UPDATE if a.relation == NEW and d.id in demoted else a.relation
            for d, a in zip(docs, decisions, strict=True)]


def baseline_clusterer(threshold: float) -> Clusterer:
    def run(docs: Sequence[StoryDoc]) -> tuple[list[str], list[tuple[str, str]]]:
        return [str(x) for x in TfidfBaseline(threshold).cluster(docs)], []

    return run


def singleton_clusterer(docs: Sequence[StoryDoc]) -> tuple[list[str], list[tuple[str, str]]]:
    return singletons(docs), []


@dataclass(slots=True)
class Scores:
    bcubed_p: float
    bcubed_r: float
    bcubed_f1: float
    pair_p: float
    pair_r: float
    pair_f1: float
    nmi: float
    n_pred: float
    n_gold: int
    copies: float = 0.0  # duplicate/revision decisions per run
    copy_precision: float = 1.0  # share of them whose matched item is in the same gold story
    worst_f1: float = 0.0  # B-cubed F1 of the worst order: order sensitivity, not just mean


def evaluate(data: list[LabelledDoc], clusterer: Clusterer, seeds: Sequence[int]) -> Scores:
    gold_of = {x.doc.id: x.gold for x in data}
    runs, n_copies, n_right = [], 0, 0
    for seed in seeds:
        order = list(data)
        random.Random(seed).shuffle(order)
        pred, copies = clusterer([x.doc for x in order])
        gold = [x.gold for x in order]
        b, pw = bcubed(gold, pred), pairwise(gold, pred)
        runs.append((b.precision, b.recall, b.f1, pw.precision, pw.recall, pw.f1,
                     nmi(gold, pred), len(set(pred))))
        n_copies += len(copies)
        n_right += sum(1 for item, matched in copies if gold_of.get(matched) == gold_of[item])
    means = [statistics.fmean(col) for col in zip(*runs, strict=True)]
    return Scores(*means, n_gold=len({x.gold for x in data}), copies=n_copies / len(seeds),
                  copy_precision=n_right / n_copies if n_copies else 1.0,
                  worst_f1=min(r[2] for r in runs))
