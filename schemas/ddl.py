"""The ClickHouse DDL in schemas/clickhouse/, rendered for one node or for a cluster.

One source of truth: the single-node files are what the sink applies as migrations; the
cluster variant (``ON CLUSTER``, Replicated engines, replicated dedup window) is derived from
them by ``cluster_variant``, so the two can never drift. ``wirestream ddl --cluster`` prints it
for deploy/clickhouse/apply.sh.
"""

from __future__ import annotations

import re
from importlib import resources

ZK_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"


def migration_files() -> list[tuple[str, str]]:
    """(name, template text) of every numbered DDL file, in order."""
    folder = resources.files(__package__).joinpath("clickhouse")
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name.removesuffix(".sql"), p.read_text()) for p in files]


def statements(sql: str) -> list[str]:
    """The statements of a DDL text, comments dropped."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def cluster_variant(sql: str, cluster: str = "{cluster}") -> str:
    """The same objects created on every node of ``cluster`` with Replicated engines."""
    on = f" ON CLUSTER '{cluster}'"
    sql = re.sub(r"(CREATE (?:TABLE|VIEW|DATABASE) IF NOT EXISTS \{db\}(?:\.\w+)?)", rf"\1{on}", sql)
    sql = re.sub(r"(ALTER TABLE \{db\}\.\w+)", rf"\1{on}", sql)

    def replicated(m: re.Match) -> str:
        args = m.group(2).strip()
        return f"ENGINE = Replicated{m.group(1)}({ZK_PATH}{', ' + args if args else ''})"

    sql = re.sub(r"ENGINE = (\w*MergeTree)\(([^)]*)\)", replicated, sql)
    return sql.replace("non_replicated_deduplication_window", "replicated_deduplication_window")


def render(sql: str, database: str, ttl_days: int | None = None) -> str:
    ttl = f"TTL toDateTime(published_at) + INTERVAL {int(ttl_days)} DAY" if ttl_days else ""
    return sql.replace("{db}", database).replace("{ttl_items}", ttl)


def full_ddl(database: str, ttl_days: int | None = None, cluster: str | None = None) -> str:
    """Every statement, rendered, ``;``-terminated: what a person applies by hand."""
    parts = ["CREATE DATABASE IF NOT EXISTS {db}"]
    parts += [stmt for _, text in migration_files() for stmt in statements(text)]
    text = ";\n\n".join(parts) + ";\n"
    if cluster:
        text = cluster_variant(text, cluster)
    return render(text, database, ttl_days)
