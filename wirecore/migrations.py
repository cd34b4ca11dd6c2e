"""Schema migrations: apply the numbered DDL files once each, rebuild tables whose shape ALTER
cannot change, and re-create objects that went missing after they were recorded.

Why a module of its own: a database upgraded in place must end in the same shape as a fresh
one, and a database someone damaged (``DROP TABLE items`` while the migrations are recorded
as applied) must not leave the pipeline broken forever. The statements themselves live in
schemas/clickhouse/; what each one targets comes from ``schemas.ddl.plan``.
"""

from __future__ import annotations

import logging
import re

from schemas.ddl import (
    Statement,
    expected_objects,
    final_statements,
    migration_files,
    plan,
    render,
    repair_statements,
)
from wirecore.errors import SchemaError

MIGRATIONS_TABLE = "schema_migrations"
REBUILD_SUFFIX = "__rebuild"
log = logging.getLogger("wirestream.migrations")


def run_migrations(client, database: str, ttl_days: int | None = None) -> list[str]:
    """Apply pending migrations (recorded), then repair missing objects; return what was done
    (migration names, and ``repaired <name>`` for each object re-created)."""
    client.command(f"CREATE DATABASE IF NOT EXISTS {database}")
    client.command(
        f"CREATE TABLE IF NOT EXISTS {database}.{MIGRATIONS_TABLE} "
        "(name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = ReplacingMergeTree ORDER BY name"
    )
    done = {r[0] for r in client.query(f"SELECT name FROM {database}.{MIGRATIONS_TABLE}").result_rows}
    # a new database: each object's final definition at once (what `wirestream ddl` prints),
    # instead of creating old shapes only to rebuild them
    fresh = not done and _objects(client, database) <= {MIGRATIONS_TABLE}
    steps = final_statements() if fresh else plan()
    applied = []
    for name, _ in migration_files():
        if name in done:
            continue
        for i, step in enumerate(steps):
            if step.migration == name:
                _apply(client, database, ttl_days, step, rebuild=_created_before(steps, i))
        if not fresh:
            client.insert(f"{database}.{MIGRATIONS_TABLE}", [[name]], column_names=["name"])
        applied.append(name)
    if fresh and applied:
        # recorded as a whole: in a fresh install a migration's objects come with a later
        # file's statements, so a partly recorded one (a sink killed or cut off mid-install)
        # would resume with historical steps on objects that were never created, and fail on
        # every start; unrecorded, the next start upgrades whatever was created, as any database
        client.insert(f"{database}.{MIGRATIONS_TABLE}", [[n] for n in applied], column_names=["name"])
    applied += [f"repaired {n}" for n in repair_missing(client, database, ttl_days)]
    check_dedup_windows(client, database)
    return applied


def _created_before(steps: list[Statement], i: int) -> bool:
    """A CREATE TABLE of a table an earlier statement created: a rebuild."""
    step = steps[i]
    return step.kind == "create_table" and any(
        s.target == step.target and s.kind == "create_table" for s in steps[:i])


def _apply(client, database: str, ttl_days: int | None, step: Statement, rebuild: bool) -> None:
    sql = render(step.sql, database, ttl_days)
    if rebuild and _exists(client, database, step.target):
        rebuild_table(client, database, step.target, sql)
    else:
        client.command(sql)


def rebuild_table(client, database: str, table: str, create_sql: str) -> None:
    """Move ``table`` into the shape ``create_sql`` defines: create it beside the old one, copy
    the columns both have, swap atomically, drop the old. Safe to re-run after a crash at any
    step (the copy is dropped first; a swapped table is simply rebuilt from itself)."""
    tmp = f"{table}{REBUILD_SUFFIX}"
    client.command(f"DROP TABLE IF EXISTS {database}.{tmp}")
    client.command(re.sub(rf"\b{re.escape(database)}\.{re.escape(table)}\b", f"{database}.{tmp}", create_sql, count=1))
    old, new = _columns(client, database, table), _columns(client, database, tmp)
    common = ", ".join(f"`{c}`" for c in new if c in old)
    client.command(f"INSERT INTO {database}.{tmp} ({common}) SELECT {common} FROM {database}.{table}",
                   settings={"insert_deduplicate": 0})
    client.command(f"EXCHANGE TABLES {database}.{table} AND {database}.{tmp}")
    client.command(f"DROP TABLE {database}.{tmp}")
    log.info("rebuilt %s.%s (%d columns copied)", database, table, len(common.split(", ")))


def repair_missing(client, database: str, ttl_days: int | None = None) -> list[str]:
    """Re-create every table or view the migrations define that is not there (tables first,
    views after: views read tables). A re-created table starts empty; say so in the log."""
    expected = expected_objects()
    present = _objects(client, database)
    missing = sorted((n for n in expected if n not in present), key=lambda n: (expected[n] != "table", n))
    for name in missing:
        steps = repair_statements(name)
        try:
            for step in steps:
                client.command(render(step.sql, database, ttl_days))
        except (OSError, TimeoutError):
            raise  # the target went away: transient, the caller retries
        except Exception as exc:  # noqa: BLE001 - turned into one line that says how to repair
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SchemaError(
                f"{database}.{name} is missing and could not be re-created ({first}); repair by hand: "
                f"wirestream ddl --database {database} | clickhouse-client --multiquery") from None
        log.warning("%s %s.%s was missing: re-created%s", expected[name], database, name,
                    " (empty: its rows are gone)" if expected[name] == "table" else "")
    return missing


def _exists(client, database: str, name: str) -> bool:
    return name in _objects(client, database)


def _objects(client, database: str) -> set[str]:
    rows = client.query("SELECT name FROM system.tables WHERE database = {db:String}",
                        parameters={"db": database}).result_rows
    return {r[0] for r in rows}


def _columns(client, database: str, table: str) -> list[str]:
    rows = client.query(
        "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} "
        "AND default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL') ORDER BY position",
        parameters={"db": database, "t": table}).result_rows
    return [r[0] for r in rows]


def check_dedup_windows(client, database: str) -> None:
    """Refuse to write if a non-replicated MergeTree table would ignore dedup tokens."""
    rows = client.query(
        "SELECT name, engine, create_table_query FROM system.tables "
        "WHERE database = {db:String} AND engine LIKE '%MergeTree' AND name != {m:String}",
        parameters={"db": database, "m": MIGRATIONS_TABLE},
    ).result_rows
    for name, engine, ddl in rows:
        if engine.startswith("Replicated") or engine.startswith("Shared"):
            continue
        m = re.search(r"non_replicated_deduplication_window\s*=\s*(\d+)", ddl)
        if not m or int(m.group(1)) <= 0:
            raise SchemaError(
                f"table {database}.{name} lacks non_replicated_deduplication_window > 0: "
                "replayed batches would be stored twice; refusing to start"
            )
