"""Chinese and Japanese write no spaces between words: their Han/kana runs are tokenised as
overlapping bigrams, so two reports of one event share terms and join, other events do not."""

from __future__ import annotations

from processors.stories.text import tokenise
from tests.support.cluster_gold import cluster_stories, wrong_pairs
from tests.unit.stories.test_multilingual import ITEMS

CJK = ITEMS.with_name("cjk.jsonl")


def test_han_and_kana_runs_become_overlapping_bigrams_other_tokens_stay():
    assert tokenise("四川发生6.8级地震") == ["四川", "川发", "发生", "6", "8", "级地", "地震"]
    assert tokenise("東京タワー ok Oekraïne") == ["東京", "京タ", "タワ", "ワー", "ok", "oekraine"]
    assert tokenise("が") == ["か"]  # a one-character run stays itself; voicing marks fold like accents
    assert len(tokenise("서울 지진")) == 2  # Hangul separates words: no bigrams (NFKD splits jamo)


def test_reports_of_one_event_join_and_other_events_stay_apart_through_the_cli(tmp_path):
    """Before, a clause was one token: of six items about three events only one pair joined."""
    final = cluster_stories(CJK, tmp_path)
    assert wrong_pairs(CJK, final) == [], final
