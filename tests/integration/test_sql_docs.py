"""Every SQL an analyst or a dashboard is given runs against the real schema (chdb):
the ```sql blocks of docs/analysts.md and the ClickHouse panels of the Grafana dashboard.
And the cluster DDL derived from schemas/clickhouse defines the same tables, replicated."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from processors.sink.rows import DLQ_COLUMNS, ITEM_COLUMNS, STORY_COLUMNS, STORY_ITEM_COLUMNS
from schemas.ddl import cluster_variant
from wirecore.clickhouse import open_client, run_migrations

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ANALYSTS = REPO / "docs" / "analysts.md"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "wirestream.json"
SCHEMA = REPO / "schemas" / "clickhouse"
DB = "wirestream"
STORY = "a1b2c3d4e5f60718"  # the example id used in docs/analysts.md
OTHER = "0f1e2d3c4b5a6978"
BAD_INPUT = b"<item><headline>broken"


# -- data ----------------------------------------------------------------------------------
def seed(client) -> None:
    """Two stories: STORY (new + update + a revised item), OTHER (new + duplicate); one dead letter."""
    now = datetime.now(UTC).replace(microsecond=0)
    t1, t2, t3 = now - timedelta(hours=3), now - timedelta(hours=2), now - timedelta(minutes=30)
    raw = now - timedelta(seconds=5)

    def item(iid, story, rel, pub, rev=0, source="anp", places=("Den Haag",), agencies=("ANP",)):
        return [iid, f"guid-{iid}", source, "listing", f"headline {iid}", f"body {iid}", "DEN HAAG",
                list(places), list(agencies), "nl", pub, pub + timedelta(minutes=5) if rev else None,
                now, None, rev, f"hash-{iid}", story, rel, raw]

    items = [
        item("i1", STORY, "new", t1),
        item("i2", STORY, "update", t2, rev=1),
        item("i3", OTHER, "new", t3, source="reuters", places=("Brussel",), agencies=()),
        item("i4", OTHER, "duplicate", t3, source="afp", places=("Brussel",), agencies=("AFP",)),
    ]
    story_items = [[r[16], r[0], r[17], 0.9, json.dumps({"score": 0.9}), r[10], r[4], r[2], 1] for r in items]
    stories = [
        [STORY, 1, "first headline", t1, t1, 1, ["Den Haag"], ["ANP"], ["nl"], "i1", "new"],
        [STORY, 2, "second headline", t1, t2, 2, ["Den Haag"], ["ANP"], ["nl"], "i2", "update"],
        [OTHER, 1, "other headline", t3, t3, 2, ["Brussel"], ["AFP"], ["nl"], "i4", "duplicate"],
    ]
    dlq = [["wire.dlq", 0, 7, "parse", "unparseable xml: no closing tag", "wire.raw", 1, 42,
            base64.b64encode(BAD_INPUT).decode(), {"source": "anp"}, now - timedelta(minutes=10)]]
    client.insert(f"{DB}.items", items, column_names=list(ITEM_COLUMNS))
    client.insert(f"{DB}.items", items[:1], column_names=list(ITEM_COLUMNS))  # a replayed row
    client.insert(f"{DB}.story_items", story_items, column_names=list(STORY_ITEM_COLUMNS))
    client.insert(f"{DB}.stories", stories, column_names=list(STORY_COLUMNS))
    client.insert(f"{DB}.dlq", dlq, column_names=list(DLQ_COLUMNS))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    c = open_client(f"chdb://{tmp_path_factory.mktemp('chdb')}/ch")
    run_migrations(c, DB)
    seed(c)
    yield c
    c.close()


def rows(client, sql: str) -> list[dict]:
    result = client.query(sql)
    return [dict(zip(result.column_names, r, strict=True)) for r in result.result_rows]


# -- docs/analysts.md ----------------------------------------------------------------------
def doc_blocks() -> list[tuple[str, str]]:
    """(question, sql) for every ```sql block, the question being the bold line above it."""
    text = ANALYSTS.read_text()
    out = []
    for m in re.finditer(r"```sql\n(.*?)```", text, re.S):
        before = re.findall(r"\*\*(\d+\.[^*]*|[^*]+)\*\*|^(Bonus)", text[: m.start()], re.M)
        label = next((a or b for a, b in reversed(before) if a or b), "sql")
        out.append((label.split("?")[0][:60], m.group(1).strip()))
    return out


BLOCKS = doc_blocks()


def test_analysts_doc_has_ten_questions() -> None:
    numbered = {q.split(".")[0] for q, _ in BLOCKS if q[0].isdigit()}
    assert numbered == {str(i) for i in range(1, 11)}


@pytest.mark.parametrize(("question", "sql"), BLOCKS, ids=[q for q, _ in BLOCKS])
def test_doc_sql_runs_and_returns_rows(client, question: str, sql: str) -> None:
    assert f"{DB}." in sql, "examples name the database explicitly"
    assert rows(client, sql), f"{question!r} returned no rows on the seeded database"


def by_number(n: int) -> str:
    return next(sql for q, sql in BLOCKS if q.startswith(f"{n}."))


def test_doc_answers_match_the_seeded_rows(client) -> None:
    assert {r["story_id"] for r in rows(client, by_number(1))} == {STORY, OTHER}
    timeline = rows(client, by_number(2))
    assert [r["relation"] for r in timeline] == ["new", "update"]
    assert sum(r["new_stories"] for r in rows(client, by_number(3))) == 2
    assert {r["relation"]: r["items"] for r in rows(client, by_number(4))} == {"new": 2, "update": 1, "duplicate": 1}
    assert [r["version"] for r in rows(client, by_number(7))] == [1, 2]
    assert [r["item_id"] for r in rows(client, by_number(8))] == ["i2"]
    (letter,) = rows(client, by_number(10))
    assert letter["letters"] == 1 and letter["example_input"] == BAD_INPUT.decode()
    (final,) = rows(client, next(sql for q, sql in BLOCKS if q == "Bonus"))
    assert final["items"] == 4 and final["rows_on_disk"] >= 4


# -- Grafana ClickHouse panels -------------------------------------------------------------
MACROS = [  # grafana-clickhouse-datasource v4 macros -> equivalent SQL for "the last day"
    (r"\$__timeFilter\(([^)]+)\)", r"\1 >= now() - INTERVAL 1 DAY AND \1 <= now() + INTERVAL 1 MINUTE"),
    (r"\$__timeInterval\(([^)]+)\)", r"toStartOfInterval(toDateTime(\1), INTERVAL 3600 second)"),
    (r"\$__fromTime\b", "toDateTime(now() - INTERVAL 1 DAY)"),
    (r"\$__toTime\b", "toDateTime(now() + INTERVAL 1 MINUTE)"),
    (r"\$__interval_s\b", "3600"),
    # template variables (deploy/grafana: tests/integration/test_grafana_dashboard.py covers every value)
    (r"\$\{database\}", "wirestream"),
    (r"\$\{(source|language):singlequote\}", "'__all'"),
]


def expand_macros(sql: str) -> str:
    for pattern, repl in MACROS:
        sql = re.sub(pattern, repl, sql)
    assert "$" not in sql, f"unexpanded macro in {sql}"
    return sql


def panel_sql() -> list[tuple[str, str]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(p["title"], t["rawSql"]) for p in panels for t in p["targets"]
            if t["datasource"]["type"] == "grafana-clickhouse-datasource"]


PANELS = panel_sql()


def test_dashboard_has_clickhouse_panels() -> None:
    assert len(PANELS) >= 3


@pytest.mark.parametrize(("title", "sql"), PANELS, ids=[t for t, _ in PANELS])
def test_panel_sql_runs_and_returns_rows(client, title: str, sql: str) -> None:
    assert "$__timeFilter" in sql or "$__fromTime" in sql or "dlq" in sql, "panels follow the time picker"
    result = rows(client, expand_macros(sql))
    assert result, f"panel {title!r} returned no rows on the seeded database"
    if "time" in result[0]:
        assert all(isinstance(r["time"], datetime) for r in result), "time series need a time column"


# -- the cluster DDL (schemas.ddl.cluster_variant, applied by deploy/clickhouse/apply.sh) ------
def ddl_objects(text: str) -> dict[str, str]:
    """name -> statement text, for every CREATE TABLE / VIEW in the DDL text."""
    text = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("--"))
    out = {}
    for stmt in re.split(r";|\n(?=CREATE )", text):
        m = re.search(r"CREATE (?:TABLE|VIEW) IF NOT EXISTS \{db\}\.(\w+)", stmt)
        if m:
            out[m.group(1)] = stmt.strip()
    return out


def columns(stmt: str) -> list[str]:
    body = stmt[stmt.index("(") + 1: stmt.index("\nENGINE")]
    body = body[: body.rindex(")")]
    return [ln.split()[0] for ln in body.splitlines() if ln.strip()]


def clause(stmt: str, name: str) -> str | None:
    m = re.search(rf"^{name} (.+)$", stmt, re.M)
    return m.group(1).strip() if m else None


SCHEMA_TEXT = "\n".join(p.read_text() for p in sorted(SCHEMA.glob("*.sql")))
SINGLE = ddl_objects(SCHEMA_TEXT)
CLUSTERED = ddl_objects(cluster_variant(SCHEMA_TEXT))


def test_cluster_ddl_covers_every_object() -> None:
    assert set(SINGLE) == set(CLUSTERED), f"missing in the cluster DDL: {sorted(set(SINGLE) - set(CLUSTERED))}"


@pytest.mark.parametrize("name", sorted(n for n, s in SINGLE.items() if "ENGINE" in s))
def test_cluster_table_is_replicated_with_same_columns(name: str) -> None:
    single, clustered = SINGLE[name], CLUSTERED[name]
    assert f"{{db}}.{name} ON CLUSTER '{{cluster}}'" in clustered
    assert columns(clustered) == columns(single)
    assert columns(single), "parsed no columns"
    for key in ("ORDER BY", "PARTITION BY", "TTL"):
        assert clause(clustered, key) == clause(single, key), key
    version = re.search(r"ENGINE = ReplacingMergeTree\((\w*)\)", single).group(1)
    engine = re.search(r"ENGINE = (\w+)\((.*)\)", clustered)
    assert engine.group(1) == "ReplicatedReplacingMergeTree"
    path, replica, *rest = [a.strip() for a in engine.group(2).split(",")]
    assert path == "'/clickhouse/tables/{shard}/{database}/{table}'" and replica == "'{replica}'"
    assert rest == ([version] if version else [])
    assert re.search(r"replicated_deduplication_window = [1-9]", clustered)


@pytest.mark.parametrize("name", sorted(n for n, s in SINGLE.items() if "ENGINE" not in s))
def test_cluster_view_has_same_query(name: str) -> None:
    def query(stmt: str) -> str:
        return " ".join(stmt.split(" AS\n", 1)[1].split())

    assert f"{{db}}.{name} ON CLUSTER '{{cluster}}'" in CLUSTERED[name]
    assert query(CLUSTERED[name]) == query(SINGLE[name])


def test_cluster_ddl_builds_the_same_column_types(client) -> None:
    """Strip the cluster parts, apply it in chdb: the resulting types equal the real schema's."""
    target = "wirestream_cluster"
    client.command(f"CREATE DATABASE IF NOT EXISTS {target}")
    for _, stmt in sorted(CLUSTERED.items(), key=lambda kv: "VIEW" in kv[1]):
        local = stmt.replace(" ON CLUSTER '{cluster}'", "").replace("{db}", target).replace("{ttl_items}", "")
        local = re.sub(r"ReplicatedReplacingMergeTree\('[^']*', '[^']*',? ?", "ReplacingMergeTree(", local)
        local = local.replace("replicated_deduplication_window", "non_replicated_deduplication_window")
        client.command(local)

    def types(db: str) -> set[tuple]:
        return set(client.query(
            "SELECT table, name, type FROM system.columns WHERE database = {d:String}"
            " AND table != 'schema_migrations'", parameters={"d": db}).result_rows)

    assert types(target) == types(DB)
