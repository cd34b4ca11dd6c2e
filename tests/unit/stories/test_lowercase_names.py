"""Lowercased feeds: with no case to find names by, terms in no word list stand in for them."""

from __future__ import annotations

from processors.stories import EngineConfig, StoryEngine
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
