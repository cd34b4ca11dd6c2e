"""Early decisions get healed: bridged stories merge, the earliest item opens its story,
and arrival order inside the lateness window does not change the outcome."""

from __future__ import annotations

from datetime import timedelta

from processors.stories import StoryDoc, StoryEngine
from processors.stories.evaluate import final_relations, final_stories
from tests.unit.stories.docs import ELECTION, QUAKE_1, QUAKE_2, T0, doc

QUAKE_3 = (
    "Iquique residents return home after quake",
    "Residents of Iquique in northern Chile began returning home on Wednesday after the "
    "magnitude 7.1 earthquake, as Onemi reported aftershocks near Arica and the port reopened.",
)
ELECTION_2 = (
    "Dutch coalition talks resume in The Hague",
    "The four parties resumed coalition talks in The Hague on Monday after a week-long break "
    "over rent controls and social housing, the informateur said.",
)
FIRE = (
    "Fire at chemical plant in Moerdijk",
    "A large fire broke out at the Chemie-Pack plant in Moerdijk on Wednesday afternoon. "
    "Firefighters from across Brabant battled flames in barrels of solvents.",
)
SMOKE = (
    "Smoke cloud: Dordrecht residents told to keep windows shut",
    "People in Dordrecht and Zwijndrecht were told to close doors and windows as a black "
    "smoke cloud drifted north, and to avoid eating vegetables from their gardens.",
)
BRIDGE = (
    "Smoke cloud from Moerdijk chemical fire drifts over Dordrecht",
    FIRE[1] + " " + SMOKE[1],
)


def _stream() -> list[StoryDoc]:
    return [
        doc("q1", QUAKE_1, 0), doc("e1", ELECTION, 1), doc("q2", QUAKE_2, 3),
        doc("q3", QUAKE_3, 20), doc("e2", ELECTION_2, 26),
    ]


def _run(docs: list[StoryDoc]) -> tuple[set[frozenset[str]], dict[str, str]]:
    engine = StoryEngine()
    out = [engine.assign(d) for d in docs]
    groups: dict[str, set[str]] = {}
    for d, sid in zip(docs, final_stories(out), strict=True):
        groups.setdefault(sid, set()).add(d.id)
    relations = dict(zip([d.id for d in docs], final_relations(docs, out), strict=True))
    return {frozenset(g) for g in groups.values()}, relations


def test_newest_first_and_oldest_first_give_the_same_partition_and_relations():
    oldest_first = _run(_stream())
    newest_first = _run(list(reversed(_stream())))
    assert oldest_first == newest_first
    partition, relations = newest_first
    assert partition == {frozenset({"q1", "q2", "q3"}), frozenset({"e1", "e2"})}
    assert relations == {"q1": "new", "q2": "update", "q3": "update", "e1": "new",
                         "e2": "update"}


def test_an_older_item_becomes_the_opener_and_names_the_demoted_one():
    engine = StoryEngine()
    later = engine.assign(doc("q2", QUAKE_2, 3))
    earlier = engine.assign(doc("q1", QUAKE_1, 0))
    assert earlier.story_id == later.story_id
    assert earlier.relation == "new" and earlier.demoted == ["q2"]
    assert earlier.evidence["demoted"] == ["q2"]
    assert earlier.story.headline == QUAKE_2[0]  # the latest development stays the headline
    assert earlier.story.first_published_at == "2026-01-24T08:00:00Z"


def test_an_item_older_than_the_lateness_window_does_not_reopen():
    engine = StoryEngine()
    engine.assign(doc("q2", QUAKE_2, 100))
    late = engine.assign(doc("q1", QUAKE_1, 0))
    assert late.relation == "update" and late.demoted == []


def test_an_item_bridging_two_stories_merges_them_into_the_earlier_one():
    engine = StoryEngine()
    fire = engine.assign(doc("f", FIRE, 0))
    smoke = engine.assign(doc("s", SMOKE, 1))
    assert smoke.story_id != fire.story_id
    bridge = engine.assign(doc("b", BRIDGE, 2))
    assert bridge.story_id == fire.story_id
    assert bridge.merged == [smoke.story_id] and bridge.evidence["merged"] == [smoke.story_id]
    assert bridge.demoted == ["s"]
    assert bridge.story.item_count == 3
    assert bridge.state_changes[f"s:{smoke.story_id}"] is None
    assert smoke.story_id not in engine.stories
    assert engine.assign(doc("s-copy", SMOKE, 3)).story_id == fire.story_id  # copies follow


def test_merge_time_is_event_time_not_arrival():
    engine = StoryEngine()
    smoke = engine.assign(doc("s", SMOKE, 5))
    fire = engine.assign(doc("f", FIRE, 0))
    bridge = engine.assign(doc("b", BRIDGE, 6))
    assert bridge.story_id == fire.story_id and bridge.merged == [smoke.story_id]
    assert bridge.story.first_published_at == (T0 + timedelta(hours=0)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert bridge.demoted == ["s"]


def test_an_item_joining_a_story_absorbs_a_one_item_story_it_also_matches():
    """``_bridged``: a one-item story the joining item scores ``single_merge`` on (without a
    conflict) is merged in; a bigger story still needs ``merge_threshold``; 0 turns it off."""
    from processors.stories.model import EngineConfig
    from processors.stories.scoring import Match

    engine = StoryEngine()
    joined = engine.stories[engine.assign(doc("q1", QUAKE_1, 0)).story_id]
    single = engine.stories[engine.assign(doc("e1", ELECTION, 1)).story_id]
    cut = engine.config.single_merge
    assert 0 < cut < engine.config.merge_threshold

    def second(story, score, conflict=False):
        return [Match(story, score, score, None, [], conflict=conflict, raw=score)]

    assert single.item_count == 1
    assert engine._bridged(second(single, cut), joined) == [single]
    assert engine._bridged(second(single, cut - 0.01), joined) == []  # too weak
    assert engine._bridged(second(single, 0.9, conflict=True), joined) == []  # a conflict
    single.item_count = 2  # a grown story needs the ordinary merge score
    assert engine._bridged(second(single, cut), joined) == []
    assert engine._bridged(second(single, engine.config.merge_threshold), joined) == [single]
    single.item_count = 1
    off = StoryEngine(EngineConfig(single_merge=0.0))
    assert off._bridged(second(single, cut), joined) == []
