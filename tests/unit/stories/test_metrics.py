"""Clustering metrics on cases small enough to compute by hand."""

from __future__ import annotations

import math

import pytest

from processors.stories.metrics import bcubed, nmi, pairwise

GOLD = ["a", "a", "a", "b", "b"]
PRED = [1, 1, 2, 2, 2]


def test_bcubed_by_hand():
    # items 0,1: P=2/2 R=2/3; item 2: P=1/3 R=1/3; items 3,4: P=2/3 R=2/2
    p = (1 + 1 + 1 / 3 + 2 / 3 + 2 / 3) / 5
    r = (2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5
    got = bcubed(GOLD, PRED)
    assert got.precision == pytest.approx(p)
    assert got.recall == pytest.approx(r)
    assert got.f1 == pytest.approx(2 * p * r / (p + r))


def test_pairwise_by_hand():
    # predicted pairs: (0,1) (2,3) (2,4) (3,4) -> correct: (0,1) (3,4); gold pairs: 3 + 1
    got = pairwise(GOLD, PRED)
    assert got.precision == pytest.approx(2 / 4)
    assert got.recall == pytest.approx(2 / 4)


def test_nmi_by_hand():
    n = 5
    cells = {("a", 1): 2, ("a", 2): 1, ("b", 2): 2}
    g, p = {"a": 3, "b": 2}, {1: 2, 2: 3}
    mi = sum(c / n * math.log(c * n / (g[x] * p[y])) for (x, y), c in cells.items())
    h = -sum(c / n * math.log(c / n) for c in (3, 2))
    assert nmi(GOLD, PRED) == pytest.approx(mi / h)  # H(G) = H(P) here


def test_perfect_and_degenerate_partitions():
    assert bcubed(GOLD, GOLD).f1 == 1.0
    assert pairwise(GOLD, GOLD).f1 == 1.0
    assert nmi(GOLD, ["x", "x", "x", "y", "y"]) == pytest.approx(1.0)
    singletons = bcubed(GOLD, list(range(5)))
    assert singletons.precision == 1.0 and singletons.recall == pytest.approx((3 * 1 / 3 + 2 / 2) / 5)
    assert nmi(GOLD, [0] * 5) == 0.0
    with pytest.raises(ValueError):
        bcubed(GOLD, PRED[:-1])
