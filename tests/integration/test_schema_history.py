"""The schema's promises, on real chdb through the sink's own row builders and writer:
revisions keep history without changing new/update counts, editorial status holds copy from
live views, merges resolve to their survivor, dead letters count once per origin, search,
migrations that upgrade an old database in place and re-create what went missing."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

import schemas
from processors.sink.rows import COLUMNS, decode_story_event, rows_for_dead_letter, rows_for_story_event
from schemas.ddl import plan, render
from schemas.models import DeadLetter, dumps
from wirecore.clickhouse import INSERT_SETTINGS, ClickHouseWriter, TableInsert, open_client
from wirecore.errors import SchemaError
from wirecore.migrations import MIGRATIONS_TABLE, run_migrations
from wirestream.queries import QUERIES, run_named, stories_with_items
from wirestream.reader import DirectReader

pytestmark = pytest.mark.integration

DB = "wirestream"
EXAMPLE = orjson.loads((Path(schemas.__file__).parent / "examples" / "story_event.json").read_bytes())
NOW = datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def event(item_id: str, story_id: str, relation: str, version: int, *, minutes_ago: int, headline: str,
          body: str = "", revision: int = 0, content: str | None = None, merged_from=(), **item) -> dict:
    ev = copy.deepcopy(EXAMPLE)
    pub = iso(NOW - timedelta(minutes=minutes_ago))
    ev["item"] |= {"item_id": item_id, "guid": item_id, "headline": headline, "body": body or headline,
                   "published_at": pub, "fetched_at": pub, "revision": revision,
                   "content_hash": content or f"{item_id}-{revision}"} | item
    ev["story"] |= {"story_id": story_id, "version": version, "headline": headline,
                    "first_published_at": pub, "last_published_at": pub, "item_count": version}
    ev |= {"story_id": story_id, "relation": relation, "merged_from": list(merged_from)}
    return ev


class Db:
    def __init__(self, client):
        self.client, self.reader, self.writer = client, DirectReader(client), ClickHouseWriter(client, DB)
        self.batches = 0

    def store(self, *events: dict, token: str | None = None) -> None:
        """What the sink does with a batch: build rows with its builders, insert with a token."""
        tables: dict[str, list[dict]] = {}
        for ev in events:
            for table, rows in rows_for_story_event(decode_story_event(orjson.dumps(ev))).items():
                tables.setdefault(table, []).extend(rows)
        self.batches += 1
        self.writer.write([TableInsert(t, r) for t, r in tables.items()], token or f"t{self.batches}")

    def rows(self, sql: str, **params) -> list[dict]:
        cols, rows = self.reader.query(sql.replace("{db}", DB), params)
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def named(self, name: str, **params) -> list[dict]:
        cols, rows = run_named(self.reader, DB, name, **params)
        return [dict(zip(cols, r, strict=True)) for r in rows]


@pytest.fixture
def db(tmp_path):
    client = open_client(f"chdb://{tmp_path}/ch")
    run_migrations(client, DB)
    yield Db(client)
    client.close()


def relation_counts(db: Db, story_id: str) -> dict[str, int]:
    rows = db.rows("SELECT relation, count() AS n FROM {db}.story_items FINAL WHERE story_id = {s:String} "
                   "GROUP BY relation", s=story_id)
    return {r["relation"]: r["n"] for r in rows}


# -- revisions -----------------------------------------------------------------------------
def test_a_revision_keeps_the_first_text_and_the_counts(db):
    db.store(event("a", "S", "new", 1, minutes_ago=30, headline="Fire in the port"),
             event("b", "S", "update", 2, minutes_ago=20, headline="Port fire under control"))
    before = relation_counts(db, "S")
    db.store(event("a", "S", "revision", 3, minutes_ago=30, headline="Fire in the port, two hurt", revision=1))
    db.store(event("a", "S", "revision", 4, minutes_ago=30, headline="Fire in the port, three hurt", revision=2))

    assert before == {"new": 1, "update": 1}
    assert relation_counts(db, "S") == {"new": 1, "update": 1, "revision": 2}
    timeline = db.named("timeline", story_id="S")
    assert [(t["item_id"], t["relation"], t["versions"]) for t in timeline] == [("a", "new", 3), ("b", "update", 1)]
    assert timeline[0]["headline"] == "Fire in the port, three hurt"  # the latest text
    versions = db.named("versions", item_id="a")
    assert [(v["revision"], v["headline"]) for v in versions] == [
        (0, "Fire in the port"), (1, "Fire in the port, two hurt"), (2, "Fire in the port, three hurt")]
    # the story's latest state follows its highest version
    assert db.rows("SELECT version FROM {db}.stories_current FINAL WHERE story_id = 'S'") == [{"version": 4}]


def test_a_replayed_batch_changes_nothing(db):
    evs = [event("a", "S", "new", 1, minutes_ago=30, headline="One"),
           event("a", "S", "revision", 2, minutes_ago=30, headline="One, revised", revision=1)]
    db.store(*evs)
    db.store(*evs, token="another-token")  # a replay cut into another batch: not insert-deduplicated
    assert relation_counts(db, "S") == {"new": 1, "revision": 1}
    assert [t["versions"] for t in db.named("timeline", story_id="S")] == [2]
    assert len(db.named("versions", item_id="a")) == 2
    assert [s["story_id"] for s in db.named("stories", limit=10)] == ["S"]


# -- editorial status ------------------------------------------------------------------------
def test_embargoed_copy_is_stored_but_held_until_its_time(db):
    later, earlier = iso(NOW + timedelta(hours=2)), iso(NOW - timedelta(minutes=1))
    db.store(event("e1", "E", "new", 1, minutes_ago=10, headline="Held news", embargoed_until=later),
             event("p1", "P", "new", 1, minutes_ago=10, headline="Embargo passed", embargoed_until=earlier))
    live = {s["story_id"] for s in db.named("stories", limit=10)}
    latest = {r["story_id"] for r in db.rows("SELECT story_id FROM {db}.stories_latest")}
    assert live == latest == {"P"}
    assert db.named("timeline", story_id="E") == []
    stored = db.rows("SELECT item_id, embargoed_until FROM {db}.items FINAL WHERE item_id = 'e1'")
    assert len(stored) == 1 and stored[0]["embargoed_until"].startswith(later[:16])  # kept, held


def test_a_withdrawn_item_is_hidden_and_kept_for_audit(db):
    db.store(event("a", "W", "new", 1, minutes_ago=30, headline="Minister resigns"),
             event("b", "W", "update", 2, minutes_ago=20, headline="Minister resigns, party says"))
    db.store(event("b", "W", "revision", 3, minutes_ago=20, headline="WITHDRAWN", revision=1, status="withdrawn"))
    assert [t["item_id"] for t in db.named("timeline", story_id="W")] == ["a"]
    (story,) = db.rows("SELECT version, headline FROM {db}.stories_latest WHERE story_id = 'W'")
    assert story == {"version": 2, "headline": "Minister resigns, party says"}  # the last shown version
    assert [s["items"] for s in db.named("stories", limit=5)] == [2]
    audit = db.rows("SELECT status, count() AS n FROM {db}.items FINAL WHERE item_id = 'b' GROUP BY status "
                    "ORDER BY status")
    assert audit == [{"status": "usable", "n": 1}, {"status": "withdrawn", "n": 1}]


# -- merges -----------------------------------------------------------------------------------
def test_a_merged_story_resolves_to_its_survivor(db):
    db.store(event("x1", "X", "new", 1, minutes_ago=50, headline="Storm hits coast"),
             event("y1", "Y", "new", 1, minutes_ago=40, headline="Coastal storm damage"),
             event("z1", "Z", "new", 1, minutes_ago=35, headline="Unrelated"))
    db.store(event("x2", "X", "update", 2, minutes_ago=30, headline="Storm: clean-up", merged_from=["Y"]))
    db.store(event("x3", "X", "update", 3, minutes_ago=20, headline="Storm: more", merged_from=["Q"]))
    db.store(event("q1", "Q", "new", 1, minutes_ago=45, headline="Storm warning"))
    db.store(event("z2", "Z", "update", 2, minutes_ago=10, headline="Z again"))
    db.store(event("w1", "W", "new", 1, minutes_ago=5, headline="W"))
    db.store(event("w2", "W", "update", 2, minutes_ago=4, headline="W+", merged_from=["Z"]))

    merges = db.rows("SELECT merged_id, into_id, item_id FROM {db}.story_merges FINAL ORDER BY merged_id")
    assert merges == [{"merged_id": "Q", "into_id": "X", "item_id": "x3"},
                      {"merged_id": "Y", "into_id": "X", "item_id": "x2"},
                      {"merged_id": "Z", "into_id": "W", "item_id": "w2"}]
    assert {s["story_id"] for s in db.named("stories", limit=10)} == {"X", "W"}
    assert {r["story_id"] for r in db.rows("SELECT story_id FROM {db}.stories_latest")} == {"X", "W"}
    assert [t["item_id"] for t in db.named("timeline", story_id="X")] == ["x1", "q1", "y1", "x2", "x3"]
    listed = {s["story_id"]: [i["item_id"] for i in s["items"]] for s in stories_with_items(db.reader, DB)}
    assert listed == {"X": ["x1", "q1", "y1", "x2", "x3"], "W": ["z1", "z2", "w1", "w2"]}


# -- dead letters ----------------------------------------------------------------------------
def test_a_resent_dead_letter_counts_once(db):
    letter = DeadLetter(stage="parse", reason="empty item", origin_topic="wire.raw", origin_partition=0,
                        origin_offset=42, original=b"<item/>", headers={}, failed_at=iso(NOW))
    other = DeadLetter(stage="parse", reason="empty item", origin_topic=None, origin_partition=None,
                       origin_offset=None, original=b"<item>2</item>", headers={}, failed_at=iso(NOW))
    rows = [rows_for_dead_letter(dumps(letter), "wire.dlq", 0, off)["dlq"][0] for off in (7, 8)]
    rows.append(rows_for_dead_letter(dumps(other), "wire.dlq", 0, 9)["dlq"][0])
    for i, row in enumerate(rows):  # one batch each, as the sink stores them
        db.writer.write([TableInsert("dlq", [row])], f"dlq{i}")
    assert db.rows("SELECT count() AS n FROM {db}.dlq FINAL") == [{"n": 2}]
    assert db.named("dlq", limit=5)[0]["letters"] == 2
    for i, when in enumerate(("2027-01-01T00:00:00Z", "2031-05-06T07:08:09Z")):  # one kind, two values
        late = DeadLetter(stage="parse", reason=f"published_at {when} is beyond the future tolerance "
                                                f"(3600 s after 2026-01-0{i + 1}T00:00:00Z)",
                          origin_topic=None, origin_partition=None, origin_offset=None,
                          original=b"<item>%d</item>" % i, headers={}, failed_at=iso(NOW))
        row = rows_for_dead_letter(dumps(late), "wire.dlq", 0, 20 + i)["dlq"][0]
        db.writer.write([TableInsert("dlq", [row])], f"late{i}")
    kinds = {r["reason_kind"]: r for r in db.named("dlq", limit=5)}
    late_kind = "published_at … is beyond the future tolerance (… s after …)"
    assert kinds[late_kind]["letters"] == 2 and kinds[late_kind]["example"].startswith("published_at 20")
    assert kinds["empty item"]["letters"] == 2
    db.client.command(f"OPTIMIZE TABLE {DB}.dlq FINAL")
    assert db.rows("SELECT count() AS n FROM {db}.dlq") == db.rows("SELECT count() AS n FROM {db}.dlq FINAL")


# -- search ----------------------------------------------------------------------------------
def test_search_finds_headlines_and_bodies_since_a_time(db):
    db.store(event("s1", "A", "new", 1, minutes_ago=3 * 24 * 60, headline="Harbour strike",
                   body="Dockers in Rotterdam"),
             event("s2", "B", "new", 1, minutes_ago=30, headline="Rail strike", body="Trains stop near ROTTERDAM."),
             event("s3", "C", "new", 1, minutes_ago=20, headline="Weather", body="Sunny 100% of the_day"))
    found = db.named("search", q="rotterdam", since="2000-01-01", limit=10)
    assert [r["item_id"] for r in found] == ["s2", "s1"]
    recent = db.named("search", q="Rotterdam", since=iso(NOW - timedelta(days=1)), limit=10)
    assert [r["item_id"] for r in recent] == ["s2"]
    assert [r["item_id"] for r in db.named("search", q="100%", since="2000-01-01", limit=10)] == ["s3"]
    assert db.named("search", q="the_day", since="2000-01-01", limit=10)[0]["item_id"] == "s3"
    assert db.named("search", q="Amsterdam", since="2000-01-01", limit=10) == []


def test_search_reads_through_the_text_index_and_keeps_each_items_newest_version(db):
    (index,) = db.rows("SELECT type, expr FROM system.data_skipping_indices "
                       "WHERE database = {db:String} AND table = 'items' AND name = 'search_words'", db=DB)
    assert index["type"] == "text" and index["expr"] == "lower(concat(headline, '\\n', body))"
    assert not db.rows("SELECT name FROM system.data_skipping_indices WHERE database = {db:String} "
                       "AND name = 'search_text'", db=DB)  # the saturated ngram filter is gone
    # three items at one instant, one of them revised twice (every version matches), one
    # replayed: the first `limit` items, ties by item_id, one row each
    db.store(*[event(i, "S", "new", 1, minutes_ago=10, headline=f"Flood {i}", body="Dike breach")
               for i in ("c", "a", "b")])
    db.store(event("a", "S", "revision", 2, minutes_ago=10, headline="Flood a, corrected", revision=1,
                   body="Dike breach, corrected"),
             event("a", "S", "revision", 3, minutes_ago=10, headline="Flood a, again", revision=2,
                   body="Dike breach again"))
    db.store(event("b", "S", "new", 1, minutes_ago=10, headline="Flood b", body="Dike breach"), token="replay")
    db.store(event("d", "T", "new", 1, minutes_ago=60, headline="Older", body="Another dike"))
    found = db.named("search", q="DIKE", since="2000-01-01", limit=3)
    assert [r["item_id"] for r in found] == ["a", "b", "c"]
    assert [r["item_id"] for r in db.named("search", q="dike", since="2000-01-01", limit=1)] == ["a"]
    assert [r["item_id"] for r in db.named("search", q="dike", since="2000-01-01", limit=50)] == ["a", "b", "c", "d"]
    old = """SELECT published_at, item_id FROM {db}.items
             WHERE multiSearchAny(lower(concat(headline, '\\n', body)), [lower({q:String})])
             ORDER BY published_at DESC, item_id LIMIT 1 BY item_id LIMIT {limit:UInt32}"""
    for q, limit in (("dike", 2), ("breach", 50), ("again", 5), ("nothing", 5)):
        assert [(r["published_at"], r["item_id"]) for r in db.named("search", q=q, since="2000-01-01", limit=limit)] \
            == [(r["published_at"], r["item_id"]) for r in db.rows(old, q=q, limit=limit)], q


def test_filter_options_count_from_the_facets_projection(db):
    from wirestream.dashboard import data

    (proj,) = db.rows("SELECT name FROM system.projections WHERE database = {db:String} AND table = 'items' "
                      "AND name = 'facets'", db=DB)
    assert proj["name"] == "facets"
    later = iso(NOW + timedelta(days=1))
    db.store(event("a", "S", "new", 1, minutes_ago=30, headline="One", places=["Utrecht", "Zeist"], source="anp"),
             event("b", "S", "update", 2, minutes_ago=20, headline="Two", places=["Utrecht"], source="afp",
                   language="en"),
             event("c", "T", "new", 1, minutes_ago=10, headline="Held", places=["Gouda"], source="dpa",
                   embargoed_until=later),
             event("d", "U", "new", 1, minutes_ago=10, headline="Gone", places=["Delft"], source="dpa",
                   status="withdrawn"))
    db.store(event("a", "S", "new", 1, minutes_ago=30, headline="One", places=["Utrecht", "Zeist"], source="anp"),
             token="replayed")  # counted twice until a merge, like the rows themselves
    opts = data.filter_options(db.reader, DB)
    assert opts["place"] == ["Utrecht", "Zeist"] and opts["source"] == ["anp", "afp"]
    sql = data.FILTER_OPTIONS.format(db=DB)
    by_rows = db.client.query(sql, settings={"optimize_use_projections": 0}).result_rows  # every row read
    assert sorted(by_rows) == sorted(tuple(r.values()) for r in db.rows(sql))
    assert {value: n for kind, value, n in by_rows if kind == "place"} == {"Utrecht": 3, "Zeist": 2}
    db.client.command(f"OPTIMIZE TABLE {DB}.items FINAL")  # the replay collapses, the projection is rebuilt
    assert {r["value"]: r["n"] for r in db.rows(data.FILTER_OPTIONS.format(db=DB)) if r["kind"] == "place"} \
        == {"Utrecht": 2, "Zeist": 1}


def test_places_and_agencies_count_each_items_latest_version_that_may_be_shown(db):
    db.store(event("a", "S", "new", 1, minutes_ago=30, headline="One", places=["Delft"], agencies=["ANP"]),
             event("b", "S", "update", 2, minutes_ago=20, headline="Two", places=["Delft"], agencies=["AFP"]),
             event("c", "T", "new", 1, minutes_ago=10, headline="Three", places=["Gouda"], agencies=["ANP"]),
             event("old", "U", "new", 1, minutes_ago=3 * 24 * 60, headline="Old", places=["Ede"], agencies=["ANP"]))
    # a's revision moves it to Leiden; c's revision withdraws it
    db.store(event("a", "S", "revision", 3, minutes_ago=30, headline="One, corrected", revision=1,
                   places=["Leiden"], agencies=["ANP"], fetched_at=iso(NOW)),
             event("c", "T", "revision", 2, minutes_ago=10, headline="Three", revision=1, places=["Gouda"],
                   agencies=["ANP"], status="withdrawn", fetched_at=iso(NOW)))
    assert [(r["place"], r["items"], r["stories"]) for r in db.named("places", hours=24, limit=10)] == [
        ("Delft", 1, 1), ("Leiden", 1, 1)]
    assert [(r["agency"], r["items"]) for r in db.named("agencies", hours=24, limit=10)] == [("AFP", 1), ("ANP", 1)]
    before = """SELECT arrayJoin(latest.1) AS place, count() AS items FROM (
                    SELECT argMax((places, status, embargoed_until), (revision, fetched_at)) AS latest
                    FROM {db}.items WHERE published_at >= now64(3) - toIntervalHour(100)
                    GROUP BY item_id)
                WHERE latest.2 = 'usable' AND ifNull(latest.3 <= now64(3), 1)
                GROUP BY place ORDER BY items DESC, place"""
    assert [(r["place"], r["items"]) for r in db.rows(before)] == [
        (r["place"], r["items"]) for r in db.named("places", hours=100, limit=10)]


def test_search_and_versions_from_the_console_script(tmp_path):
    data = tmp_path / "data"
    client = open_client(f"chdb://{data / 'chdb'}")
    run_migrations(client, DB)
    d = Db(client)
    d.store(event("a", "S", "new", 1, minutes_ago=30, headline="Bridge closed", body="The Erasmus bridge"),
            event("a", "S", "revision", 2, minutes_ago=30, headline="Bridge reopened", revision=1))
    client.close()
    env = os.environ | {"WIRESTREAM_DATA_DIR": str(data)}
    script = str(Path(sys.executable).parent / "wirestream")

    def cli(*args):
        return subprocess.run([script, *args], capture_output=True, text=True, env=env, timeout=120)

    out = cli("query", "versions", "--item-id", "a", "--json")
    assert out.returncode == 0, out.stderr
    assert [orjson.loads(line)["headline"] for line in out.stdout.splitlines()] == ["Bridge closed", "Bridge reopened"]
    out = cli("query", "search", "--q", "erasmus", "--json")
    assert out.returncode == 0 and orjson.loads(out.stdout.splitlines()[0])["item_id"] == "a"
    assert cli("query", "search").returncode == 2
    assert cli("query", "search", "--q", "x", "--since", "yesterday").returncode == 2
    assert cli("query", "search", "--q", "x", "--since", "2000-01-01", "--all-time").returncode == 2
    out = cli("query", "search", "--q", "ERASMUS", "--all-time", "--json")
    assert out.returncode == 0 and [orjson.loads(line)["item_id"] for line in out.stdout.splitlines()] == ["a"]
    assert cli("query", "versions").returncode == 2


# -- 015: item lookups and held stories ------------------------------------------------------
def old_stories_latest() -> str:
    """stories_latest as migration 013 defined it (every held story's history read from `stories`)."""
    from schemas.ddl import migration_files, statements

    (create,) = [s for s in statements(dict(migration_files())["013_views"]) if ".stories_latest AS" in s]
    return create.split(" AS\n", 1)[1]


def assert_lookups(d: Db) -> None:
    parts = d.rows("SELECT count() AS n, countIf(has(projections, 'by_item_id')) AS with_lookup "
                   "FROM system.parts WHERE database = {db:String} AND table = 'items' AND active", db=DB)
    assert parts[0]["n"] and parts[0]["with_lookup"] == parts[0]["n"]
    tables = {r["name"]: r["engine"] for r in d.rows("SELECT name, engine FROM system.tables "
                                                       "WHERE database = {db:String}", db=DB)}
    assert tables["stories_clear"] == "ReplacingMergeTree" and tables["stories_clear_mv"] == "MaterializedView"
    (view,) = d.rows("SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} "
                     "AND name = 'stories_latest'", db=DB)
    assert "stories_clear" in view["q"]


def test_versions_are_found_through_the_item_id_projection(db):
    db.store(event("a", "S", "new", 1, minutes_ago=30, headline="One"),
             event("b", "S", "update", 2, minutes_ago=20, headline="Two"))
    db.store(event("a", "S", "revision", 3, minutes_ago=30, headline="One, corrected", revision=1))
    assert_lookups(db)
    (proj,) = db.rows("SELECT query FROM system.projections WHERE database = {db:String} AND table = 'items' "
                      "AND name = 'by_item_id'", db=DB)
    assert "_part_offset" in proj["query"] and "ORDER BY item_id" in proj["query"]
    assert [r["revision"] for r in db.named("versions", item_id="a")] == [0, 1]
    sql = QUERIES["versions"].sql.replace("{db}", DB)
    params, off = {"item_id": "a"}, {"optimize_use_projections": 0}
    assert db.client.query(sql, parameters=params).result_rows == \
        db.client.query(sql, parameters=params, settings=off).result_rows


def test_stories_latest_returns_what_the_013_view_returned(db):
    later, earlier = iso(NOW + timedelta(hours=2)), iso(NOW - timedelta(minutes=1))
    db.store(event("c1", "C", "new", 1, minutes_ago=60, headline="Clear"),
             event("c2", "C", "update", 2, minutes_ago=50, headline="Clear 2"),
             # held now: v1 shown
             event("h1", "H", "new", 1, minutes_ago=60, headline="H shown"),
             event("h2", "H", "update", 2, minutes_ago=50, headline="H held", embargoed_until=later),
             # v2's embargo has passed, v3 withdrawn: v2 shown (not the never-held v1)
             event("p1", "P", "new", 1, minutes_ago=60, headline="P first"),
             event("p2", "P", "update", 2, minutes_ago=50, headline="P passed", embargoed_until=earlier),
             event("p3", "P", "update", 3, minutes_ago=40, headline="P gone", status="withdrawn"),
             # held only: not listed
             event("o1", "O", "new", 1, minutes_ago=30, headline="O held", embargoed_until=later),
             # withdrawn twice after a clear version
             event("w1", "W", "new", 1, minutes_ago=60, headline="W shown"),
             event("w2", "W", "update", 2, minutes_ago=50, headline="W gone", status="withdrawn"),
             event("w3", "W", "update", 3, minutes_ago=40, headline="W gone too", status="canceled"))
    db.store(event("m1", "M", "new", 1, minutes_ago=60, headline="M"),
             event("m2", "M", "update", 2, minutes_ago=55, headline="M held", embargoed_until=later))
    db.store(event("x1", "X", "update", 3, minutes_ago=20, headline="X", merged_from=["M"]))
    db.store(event("c2", "C", "update", 2, minutes_ago=50, headline="Clear 2"), token="replay")
    cols = ("story_id, version, headline, first_published_at, last_published_at, item_count, places, "
            "agencies, languages, last_item_id")
    new = db.rows(f"SELECT {cols} FROM {{db}}.stories_latest ORDER BY story_id")
    old = db.rows(f"SELECT {cols} FROM ({old_stories_latest()}) ORDER BY story_id")
    assert new == old
    assert [(r["story_id"], r["headline"]) for r in new] == [
        ("C", "Clear 2"), ("H", "H shown"), ("P", "P passed"), ("W", "W shown"), ("X", "X")]
    top = "SELECT story_id, headline FROM {v} ORDER BY last_published_at DESC, story_id LIMIT 3"
    assert db.rows(top.format(v="{db}.stories_latest")) == db.rows(top.format(v=f"({old_stories_latest()})"))


# -- migrations ------------------------------------------------------------------------------
def test_an_old_database_is_upgraded_in_place(tmp_path):
    """Today's (pre-008) schema with rows in it: the migrations keep every row, in the new shape."""
    client = open_client(f"chdb://{tmp_path}/ch")
    old = [s for s in plan() if s.migration <= "007_editorial_status"]
    client.command(f"CREATE DATABASE {DB}")
    client.command(f"CREATE TABLE {DB}.{MIGRATIONS_TABLE} (name String, applied_at DateTime64(3, 'UTC') "
                   "DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY name")
    for s in old:
        client.command(render(s.sql, DB))
    client.insert(f"{DB}.{MIGRATIONS_TABLE}", [[n] for n in sorted({s.migration for s in old})], column_names=["name"])
    evs = [event("a", "S", "new", 1, minutes_ago=30, headline="Old one", body="old body"),
           event("b", "S", "update", 2, minutes_ago=20, headline="Old two", body="second body")]
    tables: dict[str, list[dict]] = {}
    for ev in evs:  # what the sink wrote before: the same JSON rows, the old tables skip new keys
        for table, rows in rows_for_story_event(decode_story_event(orjson.dumps(ev))).items():
            tables.setdefault(table, []).extend(rows)
    for table, rows in tables.items():
        client.raw_insert(f"{DB}.{table}", insert_block=b"\n".join(map(orjson.dumps, rows)), fmt="JSONEachRow",
                          settings=INSERT_SETTINGS)
    client.insert(f"{DB}.dlq", [["wire.dlq", 0, 7, "parse", "bad", "wire.raw", 0, 1, "eA==", {}, NOW]],
                  column_names=list(COLUMNS["dlq"]))

    applied = run_migrations(client, DB)
    assert applied[0] == "008_items_versions" and applied[-1] == "016_items_compress_blocks"
    d = Db(client)
    assert [t["item_id"] for t in d.named("timeline", story_id="S")] == ["a", "b"]
    (detail,) = d.rows("SELECT body FROM {db}.story_timeline WHERE item_id = 'b'")
    assert detail["body"] == "second body"  # the timeline's new columns filled from items
    assert d.rows("SELECT story_id, version FROM {db}.stories_current FINAL") == [{"story_id": "S", "version": 2}]
    assert d.rows("SELECT count() AS n FROM {db}.dlq FINAL") == [{"n": 1}]
    keys = dict(client.query(f"SELECT name, sorting_key FROM system.tables WHERE database = '{DB}'").result_rows)
    assert keys["items"] == "published_at, item_id, content_hash"
    (engine,) = client.query(
        f"SELECT engine_full FROM system.tables WHERE database = '{DB}' AND name = 'items'").result_rows
    assert "max_compress_block_size = 65536" in engine[0]  # 016: small blocks for scattered reads
    assert [r["item_id"] for r in d.named("search", q="SECOND", since="2000-01-01", limit=5)] == ["b"]
    parts = d.rows("SELECT count() AS n, countIf(has(projections, 'facets')) AS with_facets, "
                   "sum(secondary_indices_compressed_bytes > 0) AS with_index "
                   "FROM system.parts WHERE database = {db:String} AND table = 'items' AND active", db=DB)
    assert parts == [{"n": parts[0]["n"], "with_facets": parts[0]["n"], "with_index": parts[0]["n"]}]
    assert_lookups(d)  # 015 on an upgraded database: projection on every part, stories_clear filled
    assert d.rows("SELECT story_id, version FROM {db}.stories_clear FINAL") == [{"story_id": "S", "version": 2}]
    assert not [n for n in keys if n.endswith("__rebuild")]
    assert run_migrations(client, DB) == []  # recorded: nothing twice
    client.close()


def test_a_dropped_table_or_view_is_recreated(db):
    db.store(event("a", "S", "new", 1, minutes_ago=5, headline="Before the drop"))
    for sql in ("DROP TABLE {db}.items", "DROP TABLE {db}.stories_current", "DROP VIEW {db}.story_timeline",
                "DROP TABLE {db}.stories_current_mv"):
        db.client.command(sql.replace("{db}", DB))
    assert run_migrations(db.client, DB) == [
        "repaired items", "repaired stories_current", "repaired stories_current_mv", "repaired story_timeline"]
    db.store(event("b", "S", "update", 2, minutes_ago=1, headline="After the repair"))
    assert [t["item_id"] for t in db.named("timeline", story_id="S")] == ["a", "b"]
    assert db.rows("SELECT version FROM {db}.stories_current FINAL") == [{"version": 2}]


def test_an_object_that_cannot_be_recreated_stops_with_one_line(db, monkeypatch):
    import wirecore.migrations as migrations
    from schemas.ddl import Statement

    db.client.command(f"DROP VIEW {DB}.story_timeline")
    broken = [Statement("013_views", "CREATE VIEW {db}.story_timeline AS SELECT nope FROM {db}.nothing",
                        "create_view", "story_timeline")]
    monkeypatch.setattr(migrations, "repair_statements", lambda name: broken)
    with pytest.raises(SchemaError) as exc:
        run_migrations(db.client, DB)
    message = str(exc.value)
    assert "\n" not in message and "story_timeline is missing" in message and "wirestream ddl" in message
