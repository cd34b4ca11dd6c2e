"""``wirestream``: the one entry point for people. Commands are thin: they read settings,
call the module that does the work, and turn known failures into one clear line + exit 1.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from wirecore.errors import UsageError
from wirecore.logs import configure_logging, quiet_client_retries
from wirecore.settings import Settings
from wirestream import cmd_cluster, cmd_dashboard, cmd_parse, cmd_produce, cmd_status
from wirestream.context import set_overrides, settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Live news wire feeds -> Kafka -> stories -> ClickHouse.")
kafka_app = typer.Typer(help="The local single-node Apache Kafka broker (deploy/kafka).", no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")
out = Console()
err = Console(stderr=True)
SEARCH_DAYS = 30  # `query search` without --since / --all-time


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"wirestream {version('wirestream')}")
        raise typer.Exit(0)


@app.callback()
def _global(
    data_dir: Annotated[str | None, typer.Option("--data-dir", envvar="WIRESTREAM_DATA_DIR",
                                                 help="where the local broker and embedded ClickHouse live")] = None,
    log_level: Annotated[str | None, typer.Option("--log-level", help="DEBUG|INFO|WARNING|ERROR|CRITICAL")] = None,
    log_json: Annotated[bool, typer.Option("--log-json", help="log one JSON object per line")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    if data_dir is not None and not data_dir.strip():  # Path("") would be the current directory
        raise UsageError("--data-dir is empty: give a directory (. for the current one)")
    set_overrides(data_dir=Path(data_dir) if data_dir is not None else None, log_level=log_level,
                  log_format="json" if log_json else None)
    s = settings()
    configure_logging(s.log_level, s.log_format)


# -- the main job ------------------------------------------------------------------------
@app.command()
def up(
    sources: Annotated[list[str] | None, typer.Argument(help="files, directories, URLs (default: sample page)")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="keep the pipeline running")] = False,
    fetched_at: Annotated[str | None, typer.Option(help="ISO time the sources were fetched (default now)")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for everything to be stored")] = 180.0,
    as_json: Annotated[bool, typer.Option("--json", help="print stories as JSON lines")] = False,
) -> None:
    """Start everything on embedded defaults, publish SOURCES, and print the stories."""
    import signal

    from wirestream import up as upmod
    from wirestream.queries import count_dead_letters, stories_with_items
    from wirestream.reader import open_reader

    def _terminate(signum, frame):  # noqa: ARG001 - SIGTERM stops what `up` started, like Ctrl-C
        raise SystemExit(128 + signum)  # 143, as a shell reports a terminated process (not 130)

    signal.signal(signal.SIGTERM, _terminate)
    s = settings()
    refs = sources or [str(upmod.DEFAULT_SOURCE)]
    upmod.check_data_dir(s)
    from producers.limits import ProducerLimits

    # bad input fails here, before anything starts
    loaded = upmod.load_sources(refs, fetched_at, ProducerLimits.from_settings(s))
    pipeline = upmod.Pipeline(s)
    try:
        pipeline.start(log=lambda m: err.print(f"[dim]{m}[/dim]"))
        reader = open_reader(s)
        letters_before = count_dead_letters(reader, s.clickhouse_database)
        with err.status("publishing and processing ..."):
            counts = upmod.publish(s, loaded, err=lambda m: err.print(m, markup=False, highlight=False))
            err.print(f"[dim]published {counts.published} raw item(s) to {s.topic('raw')}, "
                      f"{counts.dead_lettered} dead letter(s) to {s.topic('dlq')}[/dim]")
            pipeline.wait_drained(timeout)
        stories = stories_with_items(reader, s.clickhouse_database)
        if as_json:
            for st in stories:
                sys.stdout.write(orjson.dumps(st).decode() + "\n")
        else:
            print_stories(stories)
            print_locations(s)
        # every stage's dead letters of this run (the parse stage's come after publishing)
        letters = count_dead_letters(reader, s.clickhouse_database) - letters_before
        if letters:
            err.print(f"{letters} item(s) of this run are dead letters, not stories "
                      "(why: `wirestream query dlq`)", markup=False, highlight=False)
        if follow:
            url = pipeline.start_dashboard()
            err.print(f"[bold]following[/bold]: live dashboard on {url} ; Ctrl-C stops the pipeline")
            upmod.follow_forever(pipeline)
    finally:
        pipeline.stop()
    if letters:  # as `parse` and `produce`: the good items went through, some did not
        raise typer.Exit(2)


def print_stories(stories: list[dict]) -> None:
    """A summary table, then each multi-item story's chain in time order (fits 80 columns)."""
    table = Table(title=f"Stories ({len(stories)}), newest activity first", title_justify="left")
    table.add_column("story", no_wrap=True, min_width=16)
    table.add_column("items", justify="right", no_wrap=True, min_width=5)
    table.add_column("first (UTC)", no_wrap=True, min_width=16)
    table.add_column("last (UTC)", no_wrap=True, min_width=16)
    table.add_column("latest headline", no_wrap=True, overflow="ellipsis", max_width=max(20, out.width - 71))
    for st in stories:
        table.add_row(st["story_id"], str(st["item_count"]), _when(st["first_published_at"]),
                      _when(st["last_published_at"]), st["headline"])
    out.print(table)
    for st in stories:
        if len(st["items"]) < 2:
            continue
        chain = Table(title=f"story {st['story_id']}: {len(st['items'])} items in time order",
                      title_justify="left", show_header=False, box=None, padding=(0, 1))
        chain.add_column(no_wrap=True, min_width=16)
        chain.add_column(no_wrap=True, min_width=8)
        chain.add_column(no_wrap=True, overflow="ellipsis", max_width=max(20, out.width - 30))
        for i in st["items"]:
            chain.add_row(_when(i["published_at"]), i.get("relation", ""), i["headline"])
        out.print(chain)


def _when(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


def print_locations(s: Settings) -> None:
    from wirecore.clickhouse import redact

    out.print(f"ClickHouse: {redact(s.dsn)} (database {s.clickhouse_database})")
    out.print(f"Kafka: {s.bootstrap}, topics {', '.join(s.topology.all_topics())}")
    out.print(f"Logs: {s.data_dir / 'logs'}   Query again: wirestream query stories")


# -- services ----------------------------------------------------------------------------
@kafka_app.command("start")
def kafka_start() -> None:
    """Fetch (once) and start the local broker; wait until it answers metadata requests."""
    from wirestream import local_kafka

    out.print(local_kafka.start(settings()))


@kafka_app.command("stop")
def kafka_stop() -> None:
    """Stop the local broker (if it is running)."""
    from wirestream import local_kafka

    out.print(local_kafka.stop(settings()))


@kafka_app.command("status")
def kafka_status() -> None:
    """Is the local broker running? (exit 3 when it is not)"""
    from wirestream import local_kafka

    ok, line = local_kafka.status(settings())
    out.print(line)
    raise typer.Exit(0 if ok else 3)


@app.command()
def topics() -> None:
    """Create the wire.* topics (idempotent)."""
    from wirecore import kafka_admin

    created = kafka_admin.ensure_topics(settings())
    out.print(f"created: {', '.join(created)}" if created else "all topics exist")


@app.command()
def sink() -> None:
    """Run the ClickHouse sink in the foreground (owns the embedded database)."""
    from wirestream.preflight import check_process_settings, check_sole_sink
    from wirestream.sink_service import run_sink

    s = settings()
    check_process_settings(s)
    check_sole_sink(s)
    raise typer.Exit(run_sink(s))


@app.command()
def worker() -> None:
    """Run the worker (parse loop + transactional stories loop) in the foreground."""
    from processors.app import main as worker_main
    from wirestream.preflight import check_process_settings, check_shard_count
    from wirestream.up import check_data_dir

    s = settings()
    check_data_dir(s)  # one `error:` line for an unusable data directory
    check_process_settings(s)
    check_shard_count(s)
    worker_main(s)


@app.command()
def ddl(
    cluster: Annotated[str | None, typer.Option(help="ON CLUSTER name, Replicated engines (e.g. '{cluster}')")] = None,
    database: Annotated[str | None, typer.Option(help="default: WIRESTREAM_CLICKHOUSE_DATABASE")] = None,
    ttl_days: Annotated[int | None, typer.Option(
        help="TTL on items in days, 1 or more (default: WIRESTREAM_CLICKHOUSE_TTL_DAYS; unset = none)")] = None,
) -> None:
    """Print the ClickHouse DDL (single node, or a cluster's) for applying by hand."""
    from schemas.ddl import full_ddl

    s = settings()
    try:  # names are pasted into the DDL unquoted, and a TTL under a day would expire every row
        text = full_ddl(database or s.clickhouse_database,
                        s.clickhouse_ttl_days if ttl_days is None else ttl_days, cluster)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sys.stdout.write(text)


# -- analysts ----------------------------------------------------------------------------
@app.command()
def query(
    name: Annotated[str, typer.Argument(
        help="stories | timeline | versions | search | places | agencies | relations | dlq")],
    story_id: Annotated[str | None, typer.Option(help="for timeline")] = None,
    item_id: Annotated[str | None, typer.Option(help="for versions")] = None,
    q: Annotated[str | None, typer.Option(help="for search: text to find in headlines and bodies")] = None,
    since: Annotated[str | None, typer.Option(
        help=f"for search: ISO time or date to search from (default: {SEARCH_DAYS} days ago)")] = None,
    all_time: Annotated[bool, typer.Option("--all-time", help="for search: every item ever stored")] = False,
    hours: Annotated[int, typer.Option(help="window for places/agencies/relations (1 or more)")] = 24,
    limit: Annotated[int, typer.Option(help="rows to show (1 or more)")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per row")] = False,
) -> None:
    """Run a named analyst query against the configured ClickHouse."""
    from wirestream.queries import QUERIES, NothingFound, run_named, stories_with_items

    s = settings()
    if name not in QUERIES:
        raise UsageError(f"unknown query {name!r}; choose from {', '.join(QUERIES)}")
    for flag, value in (("--limit", limit), ("--hours", hours)):
        if value < 1:  # ClickHouse would refuse it as a UInt32 parameter, in its own words
            raise UsageError(f"{flag} must be 1 or more, not {value}")
    if name == "timeline" and not story_id:
        raise UsageError("timeline needs --story-id")
    if name == "versions" and not item_id:
        raise UsageError("versions needs --item-id")
    if name == "search" and not (q or "").strip():
        raise UsageError("search needs --q")
    if all_time and since:
        raise UsageError("--since and --all-time: choose one")
    if all_time:
        since = "1970-01-01"
    elif since is None:  # a search reads one granule per match: the recent window unless asked
        since = (datetime.now(UTC) - timedelta(days=SEARCH_DAYS)).isoformat()
    try:
        datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since is not an ISO date or time: {since!r}") from None
    reader = open_checked_reader(s)
    if name == "stories":
        stories = stories_with_items(reader, s.clickhouse_database, limit)
        if as_json:
            for st in stories:
                sys.stdout.write(orjson.dumps(st).decode() + "\n")
        else:
            print_stories(stories)
        return
    cols, rows = run_named(reader, s.clickhouse_database, name, story_id=story_id, item_id=item_id, q=q,
                           since=since, hours=hours, limit=limit)
    if not rows and name in ("timeline", "versions"):  # one story or item, asked for by its id
        what, key = ("story", story_id) if name == "timeline" else ("item", item_id)
        raise NothingFound(f"no {what} {key!r} in database {s.clickhouse_database}")
    print_rows(cols, rows, as_json, title=QUERIES[name].help)


@app.command()
def sql(
    statement: Annotated[str, typer.Argument(help='e.g. "SELECT count() FROM items" (the configured database)')],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per row")] = False,
    write: Annotated[bool, typer.Option("--write", help="allow DDL/DML (direct connection only; "
                                                         "never through a running sink)")] = False,
) -> None:
    """Run SQL in the configured ClickHouse database: read-only in every mode unless --write."""
    check_statement(statement)
    cols, rows = open_checked_reader(settings(), write=write).query(statement)
    print_rows(cols, rows, as_json)


_FORMAT_CLAUSE = re.compile(r"\bFORMAT\s+\w+\s*;?\s*$", re.IGNORECASE)


def check_statement(statement: str) -> None:
    """What the client would turn into an error about text the person never wrote: an empty
    statement (the client sends a probe of its own) and a FORMAT clause (the client appends
    ``FORMAT Native``: rows come back as a table here, or JSON lines with --json)."""
    if not statement.strip().rstrip(";").strip():
        raise UsageError("empty SQL statement")
    if _FORMAT_CLAUSE.search(statement):
        raise UsageError("drop the FORMAT clause: `sql` prints a table, or JSON lines with --json")


def open_checked_reader(s: Settings, write: bool = False):
    """sql and query: the DSN checked as ``status`` checks it (an unknown scheme, a host that
    does not resolve or a missing embedded path is bad input, exit 2, before any connection
    attempt), and no client retry warnings before the one ``error:`` line of a failed connection."""
    from wirestream.preflight import check_read_target
    from wirestream.reader import open_reader

    check_read_target(s)
    quiet_client_retries()
    return open_reader(s, write=write)


def print_rows(cols: list[str], rows: list[list], as_json: bool, title: str | None = None) -> None:
    if as_json:
        for r in rows:
            sys.stdout.write(orjson.dumps(dict(zip(cols, r, strict=True))).decode() + "\n")
        return
    table = Table(title=title)
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    out.print(table)


# -- commands that live in their own modules ---------------------------------------------
app.command("parse")(cmd_parse.parse_command)
app.command("produce")(cmd_produce.produce_command)
app.command("cluster")(cmd_cluster.cluster)
app.command("eval")(cmd_cluster.eval_command)
app.command("status")(cmd_status.status_command)
app.command("dashboard")(cmd_dashboard.dashboard_command)


def main() -> None:
    """Every deliberate failure is a ``WirestreamError``: one line on stderr, its exit code.

    Typer runs with ``standalone_mode=False`` so that errors reach this one place; the code a
    command returns (or raises with ``typer.Exit``) is passed on to the shell unchanged.
    """
    import sqlite3

    from confluent_kafka import KafkaException

    from wirecore.errors import WirestreamError

    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        err.print("aborted")
        raise SystemExit(130) from None
    except WirestreamError as exc:
        msg = str(exc).strip() or type(exc).__name__
        err.print(f"[red]error:[/red] {msg}", highlight=False, soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    except (TimeoutError, KafkaException, PermissionError, OSError, sqlite3.Error) as exc:
        msg = str(exc).strip() or type(exc).__name__
        err.print(f"[red]error:[/red] {msg}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:  # usage errors from typer's click: any version, bundled or not
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        raise
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
