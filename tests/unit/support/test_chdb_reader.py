"""The chdb-backed reader fixture: the dashboard's and the CLI's real SQL over rows stored
the way the sink stores them."""

from __future__ import annotations

from tests.support.chdb_reader import chdb_reader  # noqa: F401 - the fixture
from tests.support.faultkit import story_event
from wirestream.dashboard.data import StoryFilter, filter_options, list_stories, read_fingerprint, story_detail
from wirestream.queries import stories_with_items


def test_dashboard_sql_runs_on_sink_rows(chdb_reader):  # noqa: F811
    reader, db, seed = chdb_reader
    seed([story_event(i)[1] for i in range(8)])  # two stories of four versions each
    stories = list_stories(reader, db, StoryFilter(range="all"))  # the events are dated 2026-01-24
    assert {s["story_id"] for s in stories} == {"s000000", "s000001"}
    assert all(s["item_count"] == 4 for s in stories), stories
    detail = story_detail(reader, db, "s000001")
    assert detail is not None and len(detail["items"]) == 4
    assert filter_options(reader, db)["source"] == ["faults"]
    assert read_fingerprint(reader, db).startswith("8")
    cli = stories_with_items(reader, db)
    assert [len(s["items"]) for s in cli] == [4, 4]


def test_the_reader_is_read_only(chdb_reader):  # noqa: F811
    import pytest

    from wirestream.reader import QueryNotAllowed

    reader, db, _ = chdb_reader
    with pytest.raises(QueryNotAllowed):
        reader.query("DROP TABLE items")

