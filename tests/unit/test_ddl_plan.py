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
    assert "ALTER TABLE news.items" not in text  # 007's columns are in 008's definition


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
