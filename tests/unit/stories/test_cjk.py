"""Chinese and Japanese write no spaces between words: their Han/kana runs are tokenised as
overlapping bigrams, so two reports of one event share terms and join, other events do not."""

from __future__ import annotations

import os
import subprocess

import orjson

from processors.stories.text import tokenise
from tests.hostile.support import REPO, WIRESTREAM
from tests.unit.stories.test_multilingual import ITEMS

CJK = ITEMS.with_name("cjk.jsonl")


def test_han_and_kana_runs_become_overlapping_bigrams_other_tokens_stay():
    assert tokenise("四川发生6.8级地震") == ["四川", "川发", "发生", "6", "8", "级地", "地震"]
    assert tokenise("東京タワー ok Oekraïne") == ["東京", "京タ", "タワ", "ワー", "ok", "oekraine"]
    assert tokenise("が") == ["か"]  # a one-character run stays itself; voicing marks fold like accents
    assert len(tokenise("서울 지진")) == 2  # Hangul separates words: no bigrams (NFKD splits jamo)


def test_reports_of_one_event_join_and_other_events_stay_apart_through_the_cli(tmp_path):
    """Before, a clause was one token: of six items about three events only one pair joined."""
    out = tmp_path / "out.jsonl"
    run = subprocess.run([str(WIRESTREAM), "cluster", "-j", "0", "-i", str(CJK), "-o", str(out)],
                         capture_output=True, text=True, timeout=120,
                         env=os.environ | {"PYTHONPATH": str(REPO), "WIRESTREAM_ENV_FILE": "/dev/null",
                                           "WIRESTREAM_DATA_DIR": str(tmp_path / "data")})
    assert run.returncode == 0, run.stderr
    gold = {r["id"]: r["story_id"] for r in map(orjson.loads, CJK.read_bytes().splitlines())}
    final = {d["id"]: d["story_id"] for d in map(orjson.loads, out.read_bytes().splitlines())}
    assert not any("merged" in d for d in map(orjson.loads, out.read_bytes().splitlines()))
    pairs = [(a, b) for a in gold for b in gold if a < b]
    assert all((final[a] == final[b]) == (gold[a] == gold[b]) for a, b in pairs), final
