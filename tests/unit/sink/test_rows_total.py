"""The sink's row builders are total: any bytes on wire.stories or wire.dlq become rows or an
InvalidItem with a reason (the consumer dead-letters it), never another exception."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.sink.rows import decode_story_event, rows_for_dead_letter, rows_for_story_event
from schemas.models import InvalidItem
from tests.support.paths import SCHEMA_EXAMPLES as EXAMPLES

EVENT = orjson.loads((EXAMPLES / "story_event.json").read_bytes())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def story_rows(value: bytes):
    try:
        return rows_for_story_event(decode_story_event(value))
    except InvalidItem as exc:
        assert exc.reason
        return None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes(value):
    story_rows(value)
    assert rows_for_dead_letter(value, "wire.dlq", 0, 1)["dlq"][0]["reason"] is not None


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["item", "story"]), st.data())
def test_a_real_event_with_one_field_replaced(part, data):
    event = orjson.loads(orjson.dumps(EVENT))
    key = data.draw(st.sampled_from(sorted(event[part])))
    event[part][key] = data.draw(json_values)
    rows = story_rows(orjson.dumps(event))
    if rows is not None:
        assert rows["items"][0]["item_id"] == event["item"]["item_id"]
