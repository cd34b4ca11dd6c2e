"""The gazetteer index is cached on disk between processes (wirecore/places.py): a later
process reads what an earlier one built, and a cache file cut short or unwritable never breaks
a lookup (the index is built again)."""

from __future__ import annotations

import pytest

from wirecore import places


@pytest.fixture
def fresh_index(monkeypatch, tmp_path):
    """The index of this process forgotten, the cache in ``tmp_path``, a tiny build counted."""
    builds = []

    def build():
        builds.append(1)
        return {"moskou": "Moscow"}

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(places, "_build_index", build)
    places._index.cache_clear()
    yield builds
    places._index.cache_clear()  # the real index again for the other tests


def test_a_second_process_reads_the_index_the_first_built(fresh_index):
    assert places._index() == {"moskou": "Moscow"} and len(fresh_index) == 1
    assert places._cache_file().is_file()
    places._index.cache_clear()  # as a new process
    assert places._index() == {"moskou": "Moscow"} and len(fresh_index) == 1


def test_a_cache_file_cut_short_is_built_again(fresh_index):
    places._index()
    places._cache_file().write_bytes(b'{"moskou": "Mos')  # e.g. a full disk
    places._index.cache_clear()
    assert places._index() == {"moskou": "Moscow"} and len(fresh_index) == 2
    places._index.cache_clear()
    assert places._index() == {"moskou": "Moscow"} and len(fresh_index) == 2  # written whole again


def test_an_unwritable_cache_only_means_building(fresh_index, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a path under a regular file
    assert places._index() == {"moskou": "Moscow"}
    places._index.cache_clear()
    assert places._index() == {"moskou": "Moscow"} and len(fresh_index) == 2

