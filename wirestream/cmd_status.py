"""``wirestream status``: a live terminal view (or ``--once --json`` for scripts)."""

from __future__ import annotations

import sys
import time
from contextlib import closing, contextmanager
from typing import Annotated

import orjson
import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text


def status_command(
    once: Annotated[bool, typer.Option("--once", help="print one reading and exit")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="with --once: one JSON object")] = False,
    interval: Annotated[float, typer.Option(help="seconds between readings")] = 2.0,
    stories: Annotated[int, typer.Option(help="latest stories to show")] = 8,
) -> None:
    """Topics, consumer lag, throughput, dead letters and the latest stories."""
    from wirecore.kafka_admin import LagReader
    from wirecore.logs import quiet_client_retries
    from wirestream.context import settings as current_settings
    from wirestream.preflight import check_read_target
    from wirestream.reader import open_reader
    from wirestream.status import build_status, read_clickhouse, read_kafka, throughput

    s = current_settings()
    check_read_target(s)  # a misspelt DSN or embedded path is bad input (2), not "not running"
    quiet_client_retries()
    if once:
        with LagReader(s, 5.0) as lags:  # one client per group for both readings
            with not_running(as_json):
                first = read_kafka(s, reader=lags)
                ch = read_clickhouse(open_reader(s), s.clickhouse_database, stories)
            time.sleep(max(0.0, min(interval, 1.0) - (time.monotonic() - first.at)))
            with not_running(as_json):  # the broker may stop between the two readings
                second = read_kafka(s, reader=lags)
        snapshot = build_status(s, second, ch, throughput(first, second))
        if as_json:
            sys.stdout.write(orjson.dumps(snapshot).decode() + "\n")
        else:
            from rich.console import Console

            Console().print(render(snapshot))
        if snapshot["unconsumed"]:  # a script must not read "all fine" from a stalled pipeline
            raise typer.Exit(3)
        return
    live_view(s, interval, stories)


@contextmanager
def not_running(as_json: bool = False):
    """What ``status`` reports on is not there: exit 3 (``NotRunningError``), one line on
    stderr; with ``--json`` also one JSON object on stdout (``{"running": false, "error":
    ...}``), so a script piping it into a JSON reader reads an answer, not nothing."""
    from wirecore.errors import ClickHouseUnavailable, KafkaUnavailable, NotRunningError

    try:
        yield
    except (KafkaUnavailable, ClickHouseUnavailable) as exc:
        if as_json:
            sys.stdout.write(orjson.dumps({"running": False, "error": str(exc)}).decode() + "\n")
        raise NotRunningError(f"{exc} — is the pipeline running? (`wirestream up --follow`)") from None


def live_view(settings, interval: float, story_limit: int) -> None:
    """Nothing answering at the start is exit 3; a broker that goes away later is shown (red,
    under the last reading) and read again: the view an operator watches a broker restart
    with must not end with it."""
    from wirecore.errors import KafkaUnavailable
    from wirecore.kafka_admin import LagReader
    from wirestream import status
    from wirestream.dashboard.readers import TRANSIENT, ReaderSource
    from wirestream.status import ClickHouseReading, build_status, throughput

    readers = ReaderSource(settings)  # embedded: through the running sink only, never holding the lock
    lags = LagReader(settings, 5.0)  # its clients stay open between refreshes
    with not_running():
        prev = status.read_kafka(settings, reader=lags)
    shown: Group | Text = Text("reading ...")
    with Live(shown, refresh_per_second=4, screen=False) as live, closing(lags):
        try:
            while True:
                try:
                    cur = status.read_kafka(settings, reader=lags)
                except KafkaUnavailable as exc:
                    live.update(Group(shown, Text(f"Kafka: {exc} (reading again every {interval:g}s)",
                                                  style="red")))
                    time.sleep(interval)
                    continue
                try:
                    ch = status.read_clickhouse(readers.get(), settings.clickhouse_database, story_limit)
                except TRANSIENT as exc:
                    ch = ClickHouseReading(error=str(exc).strip().splitlines()[0])
                shown = render(build_status(settings, cur, ch, throughput(prev, cur)))
                live.update(shown)
                prev = cur
                time.sleep(interval)
        except KeyboardInterrupt:
            pass


def render(st: dict) -> Group:
    topics = Table(title="Topics", title_justify="left")
    for col in ("topic", "partitions", "high watermark", "msgs/s"):
        topics.add_column(col, justify="left" if col == "topic" else "right")
    for name, t in st["topics"].items():
        rate = "—" if t["messages_per_s"] is None else f"{t['messages_per_s']:.1f}"
        topics.add_row(name, str(t["partitions"]) if t["exists"] else "[red]missing[/red]",
                       str(t["high_watermark"]), rate)
    lag = Table(title="Consumer lag", title_justify="left")
    for col in ("group", "consumers", "topic", "lag"):
        lag.add_column(col, justify="right" if col in ("lag", "consumers") else "left")
    for group, g in st["lag"].items():
        members = "?" if g.get("consumers") is None else str(g["consumers"])
        if not g["topics"]:
            lag.add_row(group, members, "—", "—")
        for topic, n in g["topics"].items():
            lag.add_row(group, members, topic, f"[yellow]{n}[/yellow]" if n else "0")
    dlq = st["dlq"]
    ch = "?" if dlq["clickhouse"] is None else str(dlq["clickhouse"])
    items = "?" if st["items_in_clickhouse"] is None else str(st["items_in_clickhouse"])
    summary = Text.from_markup(
        f"dead letters: topic {dlq['topic']}, ClickHouse {ch}    items in ClickHouse: {items}")
    parts = [topics, lag, summary]
    parts += [Text(line, style="red") for line in st.get("unconsumed", [])]
    if st.get("clickhouse_error"):
        parts.append(Text(f"ClickHouse: {st['clickhouse_error']}", style="red"))
    latest = Table(title="Latest stories", title_justify="left", expand=True)
    latest.add_column("last published (UTC)", no_wrap=True, min_width=19)
    latest.add_column("items", justify="right", no_wrap=True, min_width=5)
    latest.add_column("headline", overflow="ellipsis", no_wrap=True, ratio=1)
    for s in st["stories"]:
        latest.add_row(str(s["last_published_at"])[:19], str(s["item_count"]), s["headline"])
    parts.append(latest)
    return Group(*parts)
