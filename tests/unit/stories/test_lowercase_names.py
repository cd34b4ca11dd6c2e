"""Lowercased feeds: with no case to find names by, terms in no word list stand in for them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from processors.stories import EngineConfig, StoryEngine
from tests.support.cluster_gold import cluster_stories, wrong_pairs
from tests.unit.stories.docs import doc

# Made-up surnames, in none of the background word lists (share 0).
REHAB_A = (
    "striker tjaarkema checks into rehab clinic",
    "striker tjaarkema has checked into a rehabilitation clinic for treatment of his alcohol "
    "addiction his club said on monday and he will miss the rest of the season",
)
REHAB_B = (
    "striker oskowicz checks into rehab clinic",
    "striker oskowicz has checked into a rehabilitation clinic for treatment of an addiction "
    "to painkillers his club said on friday and he will miss the rest of the season",
)
REHAB_A_LATER = (
    "tjaarkema leaves rehab clinic",
    "tjaarkema has left the rehabilitation clinic after six weeks of treatment for alcohol "
    "addiction and will train with the squad again next week his club said",
)


def _stories(cfg: EngineConfig, pairs: list[tuple[str, str]]) -> list[str]:
    engine = StoryEngine(cfg)
    return [engine.assign(doc(f"d{i}", p, hours=i)).story_id for i, p in enumerate(pairs)]


def test_lowercased_snippets_about_other_people_stay_apart_and_follow_ups_join():
    a, b, later = _stories(EngineConfig(), [REHAB_A, REHAB_B, REHAB_A_LATER])
    assert b != a  # another player's rehab is another story
    assert later == a  # the same (guessed) name follows its story


def test_without_guessed_names_the_lowercased_look_alike_joins():
    a, b, _ = _stories(EngineConfig(guess_names=False), [REHAB_A, REHAB_B, REHAB_A_LATER])
    assert b == a  # what the switch is for: the snippets share every word but the name


def test_cased_items_keep_their_own_names(monkeypatch):
    def never(*_):
        raise AssertionError("names guessed for a cased item")

    monkeypatch.setattr(StoryEngine, "_guessed_names", never)
    pairs = [tuple(s.replace("tjaarkema", "Tjaarkema").replace("oskowicz", "Oskowicz")
                   for s in pair) for pair in (REHAB_A, REHAB_B, REHAB_A_LATER)]
    a, b, later = _stories(EngineConfig(), pairs)
    assert b != a and later == a  # the names found by case do the same work


UNCASED_SCRIPTS = Path(__file__).resolve().parents[2] / "data" / "multilingual" / "uncased_scripts.jsonl"


@pytest.mark.parametrize(("lang", "title", "text"), [
    ("ar", "زلزال بقوة 6.8 درجات يضرب المغرب", "ضرب زلزال قوي منطقة الحوز جنوب مراكش"),
    (None, "زلزال بقوة 6.8 درجات يضرب المغرب", "ضرب زلزال قوي منطقة الحوز جنوب مراكش"),
    ("zh", "摩洛哥发生6.8级地震", "摩洛哥马拉喀什以南的豪兹省发生强烈地震"),
    ("ru", "землетрясение в марокко", "мощное землетрясение произошло к югу от марракеша"),
    ("en", "", "123 456"),
], ids=["ar", "ar-no-lang", "zh", "ru", "no-letters"])
def test_no_names_are_guessed_where_no_capitals_are_missing(monkeypatch, lang, title, text):
    """Arabic and CJK have no case (nothing was lowercased); a Russian item is in no word list
    (every word would be a "name"); an item without letters has nothing to guess."""
    def never(*_):
        raise AssertionError("names guessed")

    monkeypatch.setattr(StoryEngine, "_guessed_names", never)
    item = doc("d0", (title, text), hours=0)
    StoryEngine().assign(dataclasses.replace(item, lang=lang))


def test_same_event_items_in_arabic_and_lowercased_russian_join_through_the_cli(tmp_path):
    """``wirestream cluster`` on an Arabic and a lowercased Russian stream: every word of theirs
    is in no en/nl/de/fr/es/it word list, so all were guessed to be names and two reports of
    one quake had a name conflict (score damped 0.45 -> 0.18: a new story)."""
    final = cluster_stories(UNCASED_SCRIPTS, tmp_path)
    assert wrong_pairs(UNCASED_SCRIPTS, final) == [], final
