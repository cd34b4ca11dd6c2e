"""Clustering metrics used everywhere in the project (see shared/README.md). Pure functions.

All take two equally long sequences of labels, ``gold[i]`` and ``pred[i]`` for item i.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _check(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} labels, pred has {len(pred)}")


def bcubed(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> PRF:
    """Per-item precision/recall of its predicted cluster against its gold cluster, averaged."""
    _check(gold, pred)
    n = len(gold)
    if n == 0:
        return PRF(1.0, 1.0, 1.0)
    joint = Counter(zip(gold, pred, strict=True))
    gold_size, pred_size = Counter(gold), Counter(pred)
    # every item of the (g, p) cell has overlap = size of the cell
    p = sum(c * c / pred_size[pl] for (_, pl), c in joint.items()) / n
    r = sum(c * c / gold_size[gl] for (gl, _), c in joint.items()) / n
    return PRF(p, r, _f1(p, r))


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


def pairwise(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> PRF:
    """Precision/recall over all unordered item pairs; same-story pairs are positives."""
    _check(gold, pred)
    both = sum(_pairs(c) for c in Counter(zip(gold, pred, strict=True)).values())
    pred_pos = sum(_pairs(c) for c in Counter(pred).values())
    gold_pos = sum(_pairs(c) for c in Counter(gold).values())
    p = both / pred_pos if pred_pos else 1.0
    r = both / gold_pos if gold_pos else 1.0
    return PRF(p, r, _f1(p, r))


def _entropy(counts: Counter, n: int) -> float:
    return -sum(c / n * math.log(c / n) for c in counts.values())


def nmi(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Normalised mutual information, I(G;P) / sqrt(H(G) H(P)) (1.0 if both are trivial)."""
    _check(gold, pred)
    n = len(gold)
    if n == 0:
        return 1.0
    g, p = Counter(gold), Counter(pred)
    mi = sum(
        c / n * math.log(c * n / (g[gl] * p[pl]))
        for (gl, pl), c in Counter(zip(gold, pred, strict=True)).items()
    )
    hg, hp = _entropy(g, n), _entropy(p, n)
    if hg == 0.0 or hp == 0.0:
        return 1.0 if hg == hp else 0.0
    return max(0.0, min(1.0, mi / math.sqrt(hg * hp)))
