"""The stories stage's three cases for an item it has seen before (processors.stages.story_step)."""

from processors.parsing import parse_raw_item
from processors.stages import story_step
from processors.stories import EngineConfig, StoryEngine
from producers.formats import split_document
from producers.formats.order import publication_order
from tests.support.paths import SAMPLE_PAGE


def sample_items():
    result = split_document(SAMPLE_PAGE.read_bytes(), None, source="anp", fetched_at="2026-01-24T18:00:00+01:00")
    return [parse_raw_item(i.payload, i.meta) for i in publication_order(result.items)]


def test_first_time_records_the_decision():
    engine, item = StoryEngine(EngineConfig()), sample_items()[0]
    event, changes, record = story_step(engine, item, None, 7, 123)
    assert event.relation == "new" and not event.redelivery and changes
    assert record["h"] == item.content_hash and record["o"] == 7 and record["a"]["story_id"] == event.story_id


def test_crash_replay_at_the_same_offset_re_emits_the_same_decision():
    engine = StoryEngine(EngineConfig())
    items = sample_items()
    story_step(engine, items[0], None, 0, 1)
    second, _, record = story_step(engine, items[1], None, 1, 2)
    # the worker died after recording items[1] but before its event was safely out
    replayed, changes, new_record = story_step(engine, items[1], record, 1, 2)
    assert (replayed.story_id, replayed.relation, replayed.score, replayed.story) == (
        second.story_id, second.relation, second.score, second.story)
    assert not replayed.redelivery and changes == {} and new_record is None


def test_republished_item_is_a_redelivery():
    engine = StoryEngine(EngineConfig())
    item = sample_items()[0]
    _, _, record = story_step(engine, item, None, 0, 1)
    again, _, new_record = story_step(engine, item, record, 9, 1)
    assert again.redelivery and again.story_id == record["a"]["story_id"] and new_record is None
