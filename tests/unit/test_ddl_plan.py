"""The migration plan read from schemas/clickhouse: rebuilds, a fresh install's final
definitions, what repairs a missing object. No database needed."""

from __future__ import annotations

from schemas.ddl import expected_objects, final_statements, full_ddl, plan, repair_statements


def test_every_object_has_exactly_one_final_definition():
    creates = [s.target for s in final_statements() if s.kind.startswith("create")]
    assert len(creates) == len(set(creates))
    assert set(creates) == set(expected_objects())
    assert not [s for s in final_statements() if s.kind == "data"]


def test_a_fresh_install_gets_the_rebuilt_shapes_only():
    text = full_ddl("news")
    assert text.count("CREATE TABLE IF NOT EXISTS news.items\n") == 1
    assert "ORDER BY (published_at, item_id, content_hash)" in text
    assert "ORDER BY (item_id)" not in text and "toYYYYMM" not in text
    assert "ALTER TABLE news.items ADD COLUMN" not in text  # 007's columns are in 008's definition


def test_a_fresh_install_gets_the_search_index_and_facets_without_building_them():
    text = full_ddl("news")
    assert "ADD INDEX IF NOT EXISTS search_words lower(concat(headline, '\\n', body)) TYPE text(" in text
    assert "DROP INDEX IF EXISTS search_text" in text  # 008 still creates the ngram filter first
    assert "ADD PROJECTION IF NOT EXISTS facets" in text
    assert "deduplicate_merge_projection_mode = 'rebuild'" in text
    # building them for the rows already stored is an upgrade's data step
    assert "MATERIALIZE INDEX" not in text and "MATERIALIZE PROJECTION" not in text
    kinds = [s.kind for s in plan() if s.migration == "014_search_and_facets"]
    assert kinds == ["alter"] * 4 + ["data"] * 2


def test_repairing_items_adds_the_search_index_and_facets():
    steps = repair_statements("items")
    assert [s.migration for s in steps][0] == "008_items_versions"
    assert [s.kind for s in steps] == ["create_table"] + ["alter"] * 6
    assert any("search_words" in s.sql for s in steps) and any("facets" in s.sql for s in steps)
    assert any("PROJECTION IF NOT EXISTS by_item_id" in s.sql for s in steps)  # 015
    assert steps[-1].migration == "016_items_compress_blocks"  # a re-created items keeps small blocks


def test_015_adds_the_item_id_projection_and_stories_clear():
    steps = [s for s in plan() if s.migration == "015_lookups_and_held_stories"]
    assert [(s.kind, s.target) for s in steps] == [
        ("alter", "items"), ("data", "items"), ("create_table", "stories_clear"),
        ("create_view", "stories_clear_mv"), ("create_view", "stories_latest"), ("data", "stories_clear")]
    text = full_ddl("news")
    assert "by_item_id (SELECT _part_offset ORDER BY item_id)" in text and "news.stories_clear FINAL" in text


def test_rebuilt_tables_are_the_ones_created_twice():
    created: dict[str, int] = {}
    for s in plan():
        if s.kind == "create_table":
            created[s.target] = created.get(s.target, 0) + 1
    assert {t for t, n in created.items() if n > 1} == {"items", "story_items", "stories", "dlq"}


def test_repairing_a_table_uses_its_last_definition_without_data_steps():
    steps = repair_statements("story_items")
    assert [s.migration for s in steps] == ["009_story_items_timeline"]
    assert [s.kind for s in steps] == ["create_table"]
    assert [s.kind for s in repair_statements("stories_current_mv")] == ["create_view"]
    assert repair_statements("no_such_table") == []


def test_expected_objects_name_tables_and_views():
    objects = expected_objects()
    assert objects["items"] == "table" and objects["stories_latest"] == "view"
    assert objects["stories_current_mv"] == "view" and objects["story_merges"] == "table"
