"""``wirecore.heap.FrozenHeap``: the collector stays off a long-lived state, and cyclic
garbage frozen by accident is still reclaimed within ``sweep_items`` items."""

from __future__ import annotations

import gc
import weakref

from wirecore.heap import FrozenHeap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_settle_freezes_and_a_sweep_reclaims_frozen_cycles():
    heap = FrozenHeap(sweep_items=10)
    try:
        garbage = Node()
        alive = weakref.ref(garbage)
        del garbage  # unreachable now, but a cycle: reference counting cannot free it
        heap.settle(4)
        assert gc.get_freeze_count() > 0
        gc.collect()
        assert alive() is not None  # frozen: the collector does not look at it
        heap.settle(5)
        assert alive() is not None and heap.sweeps == 0
        heap.settle(1)  # the 10th item: unfreeze, collect, freeze again
        assert alive() is None and heap.sweeps == 1
        assert heap.since_sweep == 0
    finally:
        heap.release()
    assert gc.get_freeze_count() == 0


class Leaf:
    """An acyclic object, like a closed story's state."""

    def __init__(self) -> None:
        self.terms = list(range(100))


def test_state_freed_by_reference_counting_is_freed_while_frozen():
    """The engine's state is acyclic: a closed story is freed at once, frozen or not."""
    heap = FrozenHeap()
    try:
        holder = [Leaf()]
        alive = weakref.ref(holder[0])
        heap.settle(1)
        assert alive() is not None
        holder.clear()  # the last reference goes: freed now, no collection needed
        assert alive() is None
    finally:
        heap.release()


def test_a_quiet_process_sweeps_on_time():
    """One item per batch (a quiet feed) must not hold frozen garbage for 200,000 batches."""
    now = [0.0]
    heap = FrozenHeap(sweep_items=1_000_000, sweep_s=600, clock=lambda: now[0])
    try:
        garbage = Node()
        alive = weakref.ref(garbage)
        del garbage
        heap.settle(1)
        now[0] = 599.0
        heap.settle(1)
        assert alive() is not None and heap.sweeps == 0
        now[0] = 600.0
        heap.settle(1)
        assert alive() is None and heap.sweeps == 1
    finally:
        heap.release()
