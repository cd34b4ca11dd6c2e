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

from processors.sink.rows import STORY_ITEM_COLUMNS
from schemas.ddl import cluster_variant, final_statements
from wirecore.clickhouse import open_client, run_migrations

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ANALYSTS = REPO / "docs" / "analysts.md"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "wirestream.json"
DB = "wirestream"
STORY = "a1b2c3d4e5f60718"  # the example id used in docs/analysts.md
OTHER = "0f1e2d3c4b5a6978"
HELD = "00000000000000e1"
MERGED = "00000000000000a1"
BAD_INPUT = b"<item><headline>broken"


# -- data ----------------------------------------------------------------------------------
def seed(client) -> None:
    """STORY (new + update, the update revised once), OTHER (new + duplicate), HELD (embargoed
    until tomorrow: stored, not live), MERGED (merged into STORY); one dead letter, sent twice."""
    now = datetime.now(UTC).replace(microsecond=0)
    t1, t2, t3 = now - timedelta(hours=3), now - timedelta(hours=2), now - timedelta(minutes=30)
    raw = now - timedelta(seconds=5)

    def item(iid, story, rel, pub, rev=0, source="anp", places=("Den Haag",), agencies=("ANP",), **extra):
        return {"item_id": iid, "guid": f"guid-{iid}", "source": source, "format": "listing",
                "headline": f"headline {iid}" + (f" rev {rev}" if rev else ""), "body": f"body {iid} in Den Haag",
                "dateline": "DEN HAAG", "places": list(places), "agencies": list(agencies), "language": "nl",
                "published_at": pub, "updated_at": pub + timedelta(minutes=5) if rev else None, "fetched_at": now,
                "url": None, "revision": rev, "content_hash": f"hash-{iid}-{rev}", "story_id": story,
                "relation": rel, "raw_at": raw, "status": "usable", "embargoed_until": None, "urgency": 3,
                "subjects": ["politics"]} | extra

    items = [
        item("i1", STORY, "new", t1),
        item("i2", STORY, "update", t2),
        item("i2", STORY, "revision", t2, rev=1),
        item("i3", OTHER, "new", t3, source="reuters", places=("Brussel",), agencies=()),
        item("i4", OTHER, "duplicate", t3, source="afp", places=("Brussel",), agencies=("AFP",)),
        item("i5", HELD, "new", t3, embargoed_until=now + timedelta(days=1)),
        item("i6", MERGED, "new", t1 - timedelta(hours=1)),
    ]
    story_items = [{"story_id": r["story_id"], "score": 0.9, "evidence": json.dumps({"score": 0.9}),
                    "story_version": 1} | {c: r[c] for c in STORY_ITEM_COLUMNS if c in r} for r in items]

    def version(story, v, headline, first, last, count, item_id, relation, **extra):
        return {"story_id": story, "version": v, "headline": headline, "first_published_at": first,
                "last_published_at": last, "item_count": count, "places": ["Den Haag"], "agencies": ["ANP"],
                "languages": ["nl"], "item_id": item_id, "relation": relation} | extra

    stories = [
        version(MERGED, 1, "merged headline", t1, t1, 1, "i6", "new"),
        version(STORY, 1, "first headline", t1, t1, 1, "i1", "new"),
        version(STORY, 2, "second headline", t1, t2, 2, "i2", "update"),
        version(STORY, 3, "second headline, revised", t1, t2, 2, "i2", "revision"),
        version(OTHER, 1, "other headline", t3, t3, 2, "i4", "duplicate"),
        version(HELD, 1, "held headline", t3, t3, 1, "i5", "new", embargoed_until=now + timedelta(days=1)),
    ]
    letter = {"dlq_topic": "wire.dlq", "dlq_partition": 0, "dlq_offset": 7, "stage": "parse",
              "reason": "unparseable xml: no closing tag", "origin_topic": "wire.raw", "origin_partition": 1,
              "origin_offset": 42, "original": base64.b64encode(BAD_INPUT).decode(), "headers": {"source": "anp"},
              "failed_at": now - timedelta(minutes=10)}
    merges = [{"merged_id": MERGED, "into_id": STORY, "item_id": "i2", "at": t2}]

    def insert(table: str, rows: list[dict]) -> None:
        cols = list(dict.fromkeys(c for r in rows for c in r))
        client.insert(f"{DB}.{table}", [[r.get(c) for c in cols] for r in rows], column_names=cols)

    insert("items", items)
    insert("items", items[:1])  # a replayed row
    insert("story_items", story_items)
    insert("stories", stories)
    insert("dlq", [letter])
    insert("dlq", [letter | {"dlq_offset": 8}])  # the same dead letter sent again
    insert("story_merges", merges)


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


def test_analysts_doc_has_its_questions() -> None:
    numbered = {q.split(".")[0] for q, _ in BLOCKS if q[0].isdigit()}
    assert numbered == {str(i) for i in range(1, 15)}


@pytest.mark.parametrize(("question", "sql"), BLOCKS, ids=[q for q, _ in BLOCKS])
def test_doc_sql_runs_and_returns_rows(client, question: str, sql: str) -> None:
    assert f"{DB}." in sql, "examples name the database explicitly"
    assert rows(client, sql), f"{question!r} returned no rows on the seeded database"


def by_number(n: int) -> str:
    return next(sql for q, sql in BLOCKS if q.startswith(f"{n}."))


def test_doc_answers_match_the_seeded_rows(client) -> None:
    assert {r["story_id"] for r in rows(client, by_number(1))} == {STORY, OTHER}  # HELD held, MERGED merged
    timeline = rows(client, by_number(2))
    assert [r["relation"] for r in timeline] == ["new", "update"]
    assert timeline[1]["headline"] == "headline i2 rev 1"  # the latest text of the revised item
    assert sum(r["new_stories"] for r in rows(client, by_number(3))) == 4
    assert {r["relation"]: r["items"] for r in rows(client, by_number(4))} == {
        "new": 4, "update": 1, "revision": 1, "duplicate": 1}  # the revision did not take the update's row
    assert [r["version"] for r in rows(client, by_number(7))] == [1, 2, 3]
    assert [(r["item_id"], r["versions"]) for r in rows(client, by_number(8))] == [("i2", 2)]
    (letter,) = rows(client, by_number(10))
    assert letter["letters"] == 1 and letter["example_input"] == BAD_INPUT.decode()  # sent twice, counted once
    assert [r["headline"] for r in rows(client, by_number(11))] == ["headline i2", "headline i2 rev 1"]
    assert [r["item_id"] for r in rows(client, by_number(12))] == ["i5"]
    assert [(r["merged_id"], r["survivor_id"]) for r in rows(client, by_number(13))] == [(MERGED, STORY)]
    assert {r["item_id"] for r in rows(client, by_number(14))} >= {"i1", "i2", "i5"}
    (final,) = rows(client, next(sql for q, sql in BLOCKS if q == "Bonus"))
    assert final["items"] == 7 and final["rows_on_disk"] >= 7


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
        m = re.search(r"CREATE (?:OR REPLACE )?(?:TABLE|VIEW|MATERIALIZED VIEW)(?: IF NOT EXISTS)? \{db\}\.(\w+)", stmt)
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


# every object's final definition (later files rebuild tables earlier ones created)
FINAL_TEXT = ";\n".join(s.sql for s in final_statements() if s.kind.startswith("create"))
SINGLE = ddl_objects(FINAL_TEXT)
CLUSTERED = ddl_objects(cluster_variant(FINAL_TEXT))


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
