"""The ClickHouse DDL in schemas/clickhouse/, rendered for one node or for a cluster.

One source of truth: the single-node files are what the sink applies as migrations; the
cluster variant (``ON CLUSTER``, Replicated engines, replicated dedup window) is derived from
them by ``cluster_variant``, so the two can never drift. ``wirestream ddl --cluster`` prints it
for deploy/clickhouse/apply.sh.

A later file may ``CREATE TABLE`` a table an earlier file already created: that is a
*rebuild* (new sorting key, codecs, partitioning — things ALTER cannot change). The migration
runner (wirecore/migrations.py) copies the old rows into the new shape; a fresh install
(``full_ddl``) only ever sees each object's final definition. ``INSERT … SELECT`` statements,
``ALTER … DELETE`` and ``ALTER … MATERIALIZE INDEX|PROJECTION`` (building an index or projection
for the rows already stored) are data steps for upgraded databases, left out of a fresh install.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

# What may be pasted into DDL text: an unquoted ClickHouse identifier (the database), and a
# cluster name (rendered inside '…': letters, digits, _ . - and {macro}s such as {cluster}).
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CLUSTER_NAME = re.compile(r"^(?:[A-Za-z0-9_.-]|\{[A-Za-z_][A-Za-z0-9_]*\})+$")
ZK_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"
_CREATE = r"CREATE (?:OR REPLACE )?(?:TABLE|VIEW|MATERIALIZED VIEW|DATABASE)(?: IF NOT EXISTS)?"
_TARGET = re.compile(
    r"^(CREATE (?:OR REPLACE )?(TABLE|VIEW|MATERIALIZED VIEW)(?: IF NOT EXISTS)?|ALTER TABLE|INSERT INTO"
    r"|DROP (?:TABLE|VIEW) IF EXISTS) \{db\}\.(\w+)", re.S)


@dataclass(frozen=True)
class Statement:
    migration: str  # file name without .sql
    sql: str  # template text ({db}, {ttl_items} unrendered)
    kind: str  # create_table | create_view | alter | data (INSERT, ALTER … DELETE|MATERIALIZE) | drop | other
    target: str | None  # the table or view it creates/changes, None for CREATE DATABASE etc.


def migration_files() -> list[tuple[str, str]]:
    """(name, template text) of every numbered DDL file, in order."""
    folder = resources.files(__package__).joinpath("clickhouse")
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name.removesuffix(".sql"), p.read_text()) for p in files]


def statements(sql: str) -> list[str]:
    """The statements of a DDL text, comments dropped."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def classify(migration: str, sql: str) -> Statement:
    m = _TARGET.match(sql)
    if not m:
        return Statement(migration, sql, "other", None)
    verb = m.group(1)
    if verb.startswith("CREATE"):
        kind = "create_" + ("view" if m.group(2).endswith("VIEW") else "table")
    elif verb.startswith("ALTER"):
        kind = "data" if re.search(r"\b(DELETE|UPDATE) WHERE\b|\bMATERIALIZE (INDEX|PROJECTION)\b", sql) else "alter"
    else:
        kind = "data" if verb.startswith("INSERT") else "drop"
    return Statement(migration, sql, kind, m.group(3))


def plan() -> list[Statement]:
    """Every statement of every migration file, in order, with what it targets."""
    return [classify(name, s) for name, text in migration_files() for s in statements(text)]


def final_statements() -> list[Statement]:
    """What a fresh install applies: each table's last CREATE and what follows it (ALTERs),
    each view's last definition; backfills and statements superseded by a rebuild left out."""
    steps = [s for s in plan() if s.kind != "data"]
    last_create = {s.target: i for i, s in enumerate(steps) if s.kind.startswith("create")}
    return [s for i, s in enumerate(steps)
            if s.target is None or (i >= last_create.get(s.target, -1) and s.kind != "drop")]


def repair_statements(target: str) -> list[Statement]:
    """What re-creates a missing ``target`` in its current shape: its last CREATE, then the
    schema ALTERs after it (no data steps: the re-created table starts empty)."""
    steps = plan()
    creates = [i for i, s in enumerate(steps) if s.target == target and s.kind.startswith("create")]
    if not creates:
        return []
    return [s for s in steps[creates[-1]:] if s.target == target and s.kind in ("create_table", "create_view", "alter")]


def expected_objects() -> dict[str, str]:
    """name -> 'table' | 'view' for every object a fully migrated database has."""
    out: dict[str, str] = {}
    for s in plan():
        if s.kind.startswith("create"):
            out[s.target] = s.kind.removeprefix("create_")
        elif s.kind == "drop":
            out.pop(s.target, None)
    return out


def cluster_variant(sql: str, cluster: str = "{cluster}") -> str:
    """The same objects created on every node of ``cluster`` with Replicated engines."""
    on = f" ON CLUSTER '{cluster}'"
    sql = re.sub(rf"({_CREATE} \{{db\}}(?:\.\w+)?)", rf"\1{on}", sql)
    sql = re.sub(r"(ALTER TABLE \{db\}\.\w+)", rf"\1{on}", sql)

    def replicated(m: re.Match) -> str:
        args = m.group(2).strip()
        return f"ENGINE = Replicated{m.group(1)}({ZK_PATH}{', ' + args if args else ''})"

    sql = re.sub(r"ENGINE = (\w*MergeTree)\(([^)]*)\)", replicated, sql)
    return sql.replace("non_replicated_deduplication_window", "replicated_deduplication_window")


def check_names(database: str, ttl_days: int | None = None, cluster: str | None = None) -> None:
    """``ValueError`` for a value that is not safe or meaningful to paste into the DDL: names
    are not quoted there, and a TTL of 0 or fewer days would expire every row."""
    if not IDENTIFIER.match(database):
        raise ValueError(f"database {database!r} is not a ClickHouse identifier "
                         "(letters, digits and _, not starting with a digit)")
    if cluster is not None and not CLUSTER_NAME.match(cluster):
        raise ValueError(f"cluster {cluster!r} is not a cluster name (letters, digits, _ . - and "
                         "{macro}s such as {cluster})")
    if ttl_days is not None and ttl_days < 1:
        raise ValueError(f"a TTL of {ttl_days} day(s) would expire every row: give 1 or more days, "
                         "or no TTL at all")


def render(sql: str, database: str, ttl_days: int | None = None) -> str:
    check_names(database, ttl_days)
    ttl = f"TTL toDateTime(published_at) + INTERVAL {int(ttl_days)} DAY" if ttl_days is not None else ""
    return sql.replace("{db}", database).replace("{ttl_items}", ttl)


def full_ddl(database: str, ttl_days: int | None = None, cluster: str | None = None) -> str:
    """Every object's final definition, rendered, ``;``-terminated: what a person applies by
    hand to a new database or cluster (upgrades in place go through the migration runner)."""
    check_names(database, ttl_days, cluster)
    parts = ["CREATE DATABASE IF NOT EXISTS {db}"] + [s.sql for s in final_statements()]
    text = ";\n\n".join(parts) + ";\n"
    if cluster:
        text = cluster_variant(text, cluster)
    return render(text, database, ttl_days)
