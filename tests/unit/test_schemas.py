"""Schemas are data (STYLE §7): every example validates against its schema, the typed models
round-trip it exactly, and processing the raw example twice gives the same record."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import schemas
from processors.parsing import parse_raw_item
from processors.sink.rows import COLUMNS, decode_story_event, rows_for_dead_letter, rows_for_story_event
from schemas.models import DeadLetter, InvalidItem, RawMeta, StoryEvent, WireItem, dumps

EXAMPLES = Path(schemas.__file__).parent / "examples"
MODELS = {"wire_item": WireItem, "story_event": StoryEvent, "dead_letter": DeadLetter}


def example(name: str) -> dict:
    return orjson.loads((EXAMPLES / f"{name}.json").read_bytes())


@pytest.mark.parametrize("name", ["wire_item", "story_event", "dead_letter", "raw_headers"])
def test_example_validates(name):
    errors = list(schemas.validator(name).iter_errors(example(name)))
    assert errors == []


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_round_trips_the_example(name):
    data = example(name)
    assert orjson.loads(dumps(MODELS[name].from_dict(data))) == data


def test_model_fields_are_exactly_the_schema_properties():
    for name, model in MODELS.items():
        props = set(schemas.load_schema(name)["properties"])
        assert props == set(model.__dataclass_fields__), name


def test_schema_rejects_a_broken_item():
    bad = example("wire_item") | {"published_at": 5, "format": "telex"}
    assert len(list(schemas.validator("wire_item").iter_errors(bad))) == 2


def test_parsing_the_raw_example_twice_gives_the_same_record():
    meta = RawMeta.from_headers(example("raw_headers"))
    raw = (EXAMPLES / "raw_item.txt").read_bytes()
    first, second = parse_raw_item(raw, meta), parse_raw_item(raw, meta)
    assert first == second
    assert first.to_dict() == example("wire_item")


def test_sink_rows_from_examples_are_deterministic():
    value = (EXAMPLES / "story_event.json").read_bytes()
    assert rows_for_story_event(decode_story_event(value)) == rows_for_story_event(decode_story_event(value))
    dl = dumps(DeadLetter.from_dict(example("dead_letter")))
    row = rows_for_dead_letter(dl, "wire.dlq", 0, 7)["dlq"][0]
    assert (row["stage"], row["reason"], row["origin_offset"], row["dlq_offset"]) == ("parse", "empty item", 42, 7)
    assert set(row) == set(COLUMNS["dlq"])


def test_sink_rows_have_exactly_the_table_columns():
    """JSONEachRow skips unknown keys, so a renamed field would silently become a default:
    the rows must carry exactly the columns the DDL declares (minus server defaults)."""
    rows = rows_for_story_event(decode_story_event((EXAMPLES / "story_event.json").read_bytes()))
    for table in ("items", "story_items", "stories"):
        assert set(rows[table][0]) == set(COLUMNS[table]), table
    ddl = {p.stem: p.read_text() for p in (Path(schemas.__file__).parent / "clickhouse").glob("*.sql")}
    for table, columns in COLUMNS.items():
        text = "".join(t for t in ddl.values() if f"{{db}}.{table}\n" in t)
        for column in columns:
            assert f"\n    {column} " in text or f"ADD COLUMN IF NOT EXISTS {column} " in text, (table, column)


def test_ddl_command_prints_single_node_and_cluster_variants():
    from typer.testing import CliRunner

    from wirestream.cli import app

    single = CliRunner().invoke(app, ["ddl", "--database", "news"]).stdout
    cluster = CliRunner().invoke(app, ["ddl", "--cluster", "prod", "--database", "news"]).stdout
    assert "CREATE TABLE IF NOT EXISTS news.items\n" in single and "Replicated" not in single
    assert single.count("CREATE") + single.count("ALTER TABLE") == cluster.count("ON CLUSTER 'prod'")
    assert cluster.count("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}'") == 9  # 015
    assert "non_replicated_deduplication_window" not in cluster


def test_sink_rows_record_merges_and_carry_editorial_status_into_the_timeline():
    event = decode_story_event((EXAMPLES / "story_event.json").read_bytes())
    event["merged_from"] = ["aaaa", "bbbb", event["story_id"]]  # its own id is never a merge
    event["item"] |= {"status": "withdrawn", "embargoed_until": "2030-01-01T00:00:00Z", "urgency": 2,
                      "subjects": ["sport"]}
    rows = rows_for_story_event(event)
    merges = rows["story_merges"]
    assert [(m["merged_id"], m["into_id"], m["item_id"]) for m in merges] == [
        ("aaaa", event["story_id"], event["item"]["item_id"]), ("bbbb", event["story_id"], event["item"]["item_id"])]
    assert all(set(m) == set(COLUMNS["story_merges"]) for m in merges)
    (timeline,) = rows["story_items"]
    assert (timeline["status"], timeline["embargoed_until"], timeline["urgency"], timeline["subjects"]) == (
        "withdrawn", "2030-01-01T00:00:00Z", 2, ["sport"])
    assert timeline["body"] == event["item"]["body"] and timeline["content_hash"] == event["item"]["content_hash"]
    (version,) = rows["stories"]
    assert (version["status"], version["embargoed_until"]) == ("withdrawn", "2030-01-01T00:00:00Z")


def test_a_bad_embargo_time_is_poison_not_a_failed_insert():
    event = decode_story_event((EXAMPLES / "story_event.json").read_bytes())
    event["item"]["embargoed_until"] = "next tuesday"
    with pytest.raises(InvalidItem, match="embargoed_until"):
        rows_for_story_event(event)
