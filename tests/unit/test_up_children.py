"""What ``wirestream up`` starts: one parse worker, ``WIRESTREAM_UP_STORY_WORKERS`` stories
workers on ports that do not collide, one sink (the processes themselves are tested end to end
in tests/integration/test_up_end_to_end.py)."""

from __future__ import annotations

import pytest

from wirecore.settings import load_settings
from wirestream import up


@pytest.fixture
def started(monkeypatch, tmp_path):
    spawned: list[tuple[str, str, dict]] = []
    monkeypatch.setattr(up, "spawn", lambda s, name, module, env=None: spawned.append((name, module, env or {})))
    monkeypatch.setattr(up.kafka_admin, "ensure_topics", lambda s: [])
    monkeypatch.setattr(up, "read_owner", lambda d: None)
    monkeypatch.setattr(up, "wait_for", lambda *a, **k: None)

    def start(**env: str) -> list[tuple[str, str, dict]]:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        s = load_settings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:1", metrics_port=9400)
        up.Pipeline(s).start(log=lambda m: None)
        return spawned

    return start


def test_one_stories_worker_by_default(started):
    children = started()
    assert [(n, e.get("WIRESTREAM_WORKER_STAGES")) for n, _, e in children] == [
        ("parse", "parse"), ("processors", "stories"), ("sink", None)]
    assert children[0][2]["WIRESTREAM_WORKER_PORT"] == "9402"
    assert "WIRESTREAM_WORKER_PORT" not in children[1][2]  # the worker default: metrics port + 1


def test_more_stories_workers_get_ports_of_their_own(started):
    children = started(WIRESTREAM_UP_STORY_WORKERS="3")
    stories = [(n, e.get("WIRESTREAM_WORKER_PORT")) for n, _, e in children
               if e.get("WIRESTREAM_WORKER_STAGES") == "stories"]
    assert stories == [("processors", None), ("processors-2", "9403"), ("processors-3", "9404")]
    ports = [9400] + [int(e.get("WIRESTREAM_WORKER_PORT", 9401)) for n, _, e in children if n != "sink"]
    assert len(set(ports)) == len(ports) == 5  # sink, parse and three stories workers apart


def test_zero_stories_workers_is_a_bad_setting(started):
    with pytest.raises(ValueError, match="up_story_workers"):
        started(WIRESTREAM_UP_STORY_WORKERS="0")


def test_a_configured_worker_id_is_made_unique_per_stories_worker(started):
    """A worker id set for the whole machine would give every stories worker the same
    transactional.id: they would fence each other's transactions for ever."""
    children = started(WIRESTREAM_UP_STORY_WORKERS="2", WIRESTREAM_WORKER_ID="box-a")
    ids = [e.get("WIRESTREAM_WORKER_ID", "box-a") for _, _, e in children
           if e.get("WIRESTREAM_WORKER_STAGES") == "stories"]
    assert ids == ["box-a", "box-a-2"]
