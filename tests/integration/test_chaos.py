"""The chaos suite, short variant (the full one: ``make chaos``): the whole pipeline with the
worker, the sink and the broker each SIGKILLed at random moments, and a run whose data
directory fills up and is freed. Invariants: see tests/support/chaos.py."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from tests.support.chaos import run_chaos, violations
from tests.support.ports import free_port_pair

pytestmark = pytest.mark.integration



@pytest.fixture
def broker(killable_broker):
    """Not the other tests' broker: killing it must not disturb them (conftest.py)."""
    return killable_broker


def test_mixed_kills_lose_nothing_and_store_nothing_twice(tmp_path, broker):
    res = run_chaos(tmp_path / "chaos", seed=7, items=3000, poison_every=150,
                    kills={"worker": 1, "sink": 1, "broker": 1}, bootstrap=broker.bootstrap, broker=broker,
                    metrics_port=free_port_pair(), timeout_s=420, rate=100)  # a ~30 s stream: kills land mid-way
    print("\n" + res.row())
    assert res.poison > 0 and len(res.faults) == 3
    assert violations(res) == [], res.numbers


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of its own, so filling it up cannot touch anything else on this machine."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill up here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_pauses_and_never_dead_letters_good_items(small_disk, tmp_path, broker):
    res = run_chaos(small_disk / "chaos", seed=11, items=2000, poison_every=0, kills={},
                    bootstrap=broker.bootstrap, broker=None, metrics_port=free_port_pair(),
                    timeout_s=420, rate=100, fill_disk=small_disk, logs=tmp_path / "logs")
    print("\n" + res.row())
    assert [f.kind for f in res.faults] == ["disk"]
    assert violations(res) == [], res.numbers
