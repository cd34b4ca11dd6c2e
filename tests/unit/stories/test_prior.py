"""The background IDF prior: short items weigh common words low from the first item on,
names and made-up words the most; full-length items and restored engines are unaffected."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from processors.stories import EngineConfig, StoryEngine
from processors.stories.index import StoryIndex
from processors.stories.prior import TABLE, background_prior
from processors.stories.text import term_id
from tests.hostile.support import REPO


def _ids(*terms: str) -> np.ndarray:
    return np.array([term_id(t) for t in terms], dtype=np.uint32)


def test_shares_follow_word_frequency_in_every_language():
    prior = background_prior(7, 400.0)
    said, police, politie, polizei, pirates, name, year = prior.share(
        _ids("said", "police", "politie", "polizei", "pirates", "xylbrechtz", "2008"))
    assert said > police > pirates > name == 0.0  # a word in no list is as rare as can be
    assert politie > 0.01 and polizei > 0.01  # Dutch and German words are known too
    assert 0.0 < year < police


def test_before_any_story_a_name_outweighs_a_common_word():
    cfg = EngineConfig()
    prior = background_prior(cfg.stem_len, cfg.idf_prior_terms)
    index = StoryIndex(24, prior, cfg.idf_prior, cfg.idf_prior_max_terms)
    plain = StoryIndex(24)
    ids = _ids("said", "police", "xylbrechtz")
    said, police, name = index.weight_idf(ids, 0)
    assert name > police > said >= 1.0
    assert np.array_equal(plain.weight_idf(ids, 0), np.ones(3))  # live counts alone: all equal
    # a full-length item (>= idf_prior_max_terms distinct terms) keeps the live counts
    many = np.arange(1000, 1000 + cfg.idf_prior_max_terms, dtype=np.uint32)
    assert np.array_equal(index.weight_idf(many, 5), index.idf(many, 5))


def test_prior_off_is_the_live_idf():
    engine = StoryEngine(EngineConfig(idf_prior=0))
    assert engine.index.prior is None
    ids = _ids("said", "xylbrechtz")
    assert np.array_equal(engine.index.weight_idf(ids, 3), engine.index.idf(ids, 3))


def test_the_shipped_table_is_what_wordfreq_gives_today():
    """Drift check: the table shipped with the package equals a fresh build (rebuild with
    ``make prior-table`` when this fails after a dependency change)."""
    from processors.stories.prior import TABLE, build_table, read_table

    shipped = read_table(TABLE)
    assert shipped is not None, f"{TABLE} is missing"
    (stem_len, langs), ids, freqs = shipped
    assert stem_len == EngineConfig().stem_len
    fresh_ids, fresh_freqs = build_table(stem_len, langs)
    assert np.array_equal(ids, fresh_ids) and np.array_equal(freqs, fresh_freqs)
    assert len(ids) > 100_000 and np.all(np.diff(ids.astype(np.int64)) > 0)


_WITH_TABLE = ("import pathlib, sys; import processors.stories.prior as p; p.TABLE = pathlib.Path(sys.argv[1]); "
               "from wirestream.cli import main; sys.argv = ['wirestream', *sys.argv[2:]]; main()")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_shipped_table_is_one_error_line_not_a_traceback(tmp_path, damage):
    """A broken install (a truncated or overwritten ``background_terms.npz``): ``cluster`` said
    ``BadZipFile`` in a 60-line traceback; now one line naming the file and the remedy, exit 1."""
    table = tmp_path / "background_terms.npz"
    good = TABLE.read_bytes()
    table.write_bytes({"truncated": good[:5000], "garbage": b"not a table", "empty": b""}[damage])
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "a", "title": "Quake hits Morocco", "text": "A strong quake.", '
                    b'"published_at": "2026-01-24T08:00:00Z"}\n')
    run = subprocess.run([sys.executable, "-c", _WITH_TABLE, str(table), "cluster", "-j", "0", "-i", str(src)],
                         capture_output=True, text=True, timeout=120,
                         env=os.environ | {"PYTHONPATH": str(REPO), "WIRESTREAM_ENV_FILE": "/dev/null"})
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "BadZipFile" not in run.stderr[:20]
    assert f"the background term table {table} is unreadable" in run.stderr
    assert "make prior-table" in run.stderr and len(run.stderr.strip().splitlines()) == 1
