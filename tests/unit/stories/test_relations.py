"""Each relation the engine can decide, and what it does to the story snapshot."""

from __future__ import annotations

from dataclasses import replace

import orjson

from processors.stories import EngineConfig, StoryEngine
from tests.unit.stories.docs import ELECTION, QUAKE_1, QUAKE_2, doc


def test_first_item_opens_a_story_with_version_1():
    a = StoryEngine().assign(doc("a", QUAKE_1))
    assert a.relation == "new"
    assert a.story.version == 1 and a.story.item_count == 1
    assert a.story.headline == QUAKE_1[0]
    assert a.story.first_published_at == "2026-01-24T08:00:00Z"
    assert a.state_changes[f"s:{a.story_id}"] is not None


def test_follow_up_joins_and_unrelated_item_opens_its_own_story():
    engine = StoryEngine()
    first = engine.assign(doc("a", QUAKE_1))
    other = engine.assign(doc("b", ELECTION, hours=1))
    follow = engine.assign(doc("c", QUAKE_2, hours=3))
    assert other.relation == "new" and other.story_id != first.story_id
    assert follow.relation == "update" and follow.story_id == first.story_id
    assert follow.story.version == 2 and follow.story.item_count == 2
    assert follow.story.last_published_at == "2026-01-24T11:00:00Z"
    assert "iquique" in follow.evidence["shared_terms"]
    assert follow.score >= EngineConfig().join_threshold


def test_same_text_with_other_case_and_punctuation_is_a_duplicate():
    engine = StoryEngine()
    first = engine.assign(doc("a", QUAKE_1))
    title, text = QUAKE_1
    copy = engine.assign(doc("a-copy", (title.upper(), text.replace(",", "")), hours=1))
    assert copy.relation == "duplicate" and copy.story_id == first.story_id
    assert copy.evidence["matched_item"] == "a"
    assert copy.story.version == 1  # duplicates do not make a new version
    assert set(copy.state_changes) == {"meta"}


def test_given_content_hash_decides_duplicates():
    engine = StoryEngine()
    engine.assign(doc("a", QUAKE_1, content_hash="h1"))
    assert engine.assign(doc("b", ELECTION, content_hash="h1")).relation == "duplicate"


def test_same_guid_with_changed_content_is_a_revision():
    engine = StoryEngine()
    first = engine.assign(doc("a", QUAKE_1, guid="urn:1"))
    changed = (QUAKE_1[0], QUAKE_1[1] + " At least two people were injured.")
    rev = engine.assign(doc("a2", changed, hours=1, guid="urn:1"))
    assert rev.relation == "revision" and rev.story_id == first.story_id
    assert rev.story.version == 2 and rev.story.item_count == 1
    assert rev.evidence["guid"] == "urn:1"


def test_near_identical_text_without_guid_is_a_revision():
    engine = StoryEngine()
    first = engine.assign(doc("a", QUAKE_1))
    corrected = (QUAKE_1[0], QUAKE_1[1].replace("Tuesday", "Wednesday"))
    rev = engine.assign(doc("b", corrected, hours=1))
    assert rev.relation == "revision" and rev.story_id == first.story_id
    assert rev.evidence["simhash_bits"] <= EngineConfig().revision_max_hamming


def test_same_event_in_other_words_is_an_update_not_a_revision():
    engine = StoryEngine()
    engine.assign(doc("a", QUAKE_1))
    assert engine.assign(doc("b", QUAKE_2, hours=1)).relation == "update"


def test_same_input_order_gives_the_same_ids_and_scores():
    items = [doc("a", QUAKE_1), doc("b", ELECTION, 1), doc("c", QUAKE_2, 2)]
    runs = []
    for _ in range(2):
        engine = StoryEngine()
        runs.append([(a.story_id, a.relation, a.score) for a in map(engine.assign, items)])
    assert runs[0] == runs[1]
    assert runs[0][0][0] != runs[0][1][0]


def test_state_changes_and_evidence_are_json_able():
    engine = StoryEngine()
    for a in (engine.assign(d) for d in [doc("a", QUAKE_1), replace(doc("b", QUAKE_2), lang=None)]):
        orjson.dumps(a.state_changes)
        orjson.dumps(a.evidence)


def test_duplicates_and_revisions_never_cross_gold_stories_on_ecbplus():
    from pathlib import Path

    import pytest

    from processors.stories.evaluate import engine_clusterer, evaluate, load_split

    path = Path(__file__).resolve().parents[4] / "shared/data/ecbplus/ecbplus_train.jsonl"
    if not path.exists():
        pytest.skip("shared/data not present")
    for short in (False, True):
        scores = evaluate(load_split(path, short=short), engine_clusterer(EngineConfig()), [0])
        assert scores.copy_precision == 1.0
        assert scores.bcubed_f1 > 0.8
