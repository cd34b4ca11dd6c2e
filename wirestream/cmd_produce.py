"""``wirestream produce SOURCE…``: fetch files, directories and URLs, split them into raw
items and publish the new or changed ones to ``wire.raw`` — through the one producer
pipeline (``producers.pipeline``) that ``up`` uses too.

Every part of the input that cannot go on (a malformed JSON line, a refused document, an
oversize item, …) is published to ``wire.dlq`` with its reason and bytes, and counted.
``--poll SECONDS`` keeps polling URLs (conditional GET, backoff on errors; at least
``MIN_POLL_S`` apart); ``--rate N`` replays at N items/s with a progress bar. Exit: 0 ok,
2 bad input (good items published), 1 something was not delivered, 130 interrupted (Ctrl-C,
after the summary of what was published so far).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import typer

from producers.pipeline import PipelineOptions, ProducerPipeline, check_options, prepare_document
from producers.rate import RateLimiter
from producers.sources.http import FetchError, UrlSource
from producers.sources.reading import STDIN, http_client, is_url, read_documents
from producers.sources.replay import count_lines
from producers.state import SourceState
from wirecore.errors import UsageError

MIN_POLL_S = 1.0  # --poll 0 fetched the feed ~22 times a second
INTERRUPTED = 130  # the shell's code for Ctrl-C (README: exit codes)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def run_produce(refs: list[str], pipeline: ProducerPipeline, *, poll: float | None,
                rate: float | None = None, client=None,
                sleep: Callable[[float], None] = time.sleep) -> None:
    opts = pipeline.options
    for ref in (r for r in refs if not is_url(r)):
        try:
            if rate is not None:
                _replay(ref, pipeline)
                continue
            for doc in read_documents(ref, limits=opts.limits, fmt=opts.fmt,
                                      on_unreadable=pipeline.unreadable):
                pipeline.publish(prepare_document(doc, opts))
        except UsageError as exc:
            pipeline.unreadable(str(exc))
    urls = [r for r in refs if is_url(r)]
    if not urls:
        return
    client = client or http_client()
    if poll is None:
        for url in urls:
            try:
                for doc in read_documents(url, limits=opts.limits, fmt=opts.fmt, client=client,
                                          state=pipeline.state):
                    pipeline.publish(prepare_document(doc, opts))
            except FetchError as exc:
                pipeline.unreadable(str(exc))
        return
    if len(urls) > 1:
        pipeline.err("--poll with several URLs polls the first one only; start one per URL")
    source = UrlSource(urls[0], client, pipeline.state, limits=opts.limits)
    for doc in source.poll(poll, sleep=sleep, on_error=pipeline.err):
        doc.fmt = opts.fmt
        pipeline.publish(prepare_document(doc, opts))


def _replay(ref: str, pipeline: ProducerPipeline) -> None:
    """``--rate``: JSON lines at N items/s with a progress bar (no total for a pipe or stdin:
    counting would consume it)."""
    from rich.progress import Progress

    path = Path(ref)
    if ref != STDIN and not path.exists():
        raise UsageError(f"no such file: {path}")
    total = count_lines(path) if path.is_file() or path.is_dir() else None
    opts = pipeline.options
    with Progress(transient=True) as progress:
        task = progress.add_task(f"replay {path.name or ref}", total=total)
        for doc in read_documents(ref, limits=opts.limits, fmt=opts.fmt or "jsonl",
                                  on_unreadable=pipeline.unreadable):
            pipeline.publish(prepare_document(doc, opts),
                             progress=lambda n: progress.advance(task, n))


def check_poll(poll: float | None) -> None:
    """A negative interval crashed ``sleep`` after the first publish and 0 hammered the feed:
    refuse both before anything is fetched."""
    if poll is not None and not poll >= MIN_POLL_S:
        raise UsageError(f"--poll: {poll:g} s; poll URLs at least {MIN_POLL_S:g} s apart")


def check_rate(rate: float | None) -> None:
    """``--rate`` 0 meant "no limit" by accident and a negative or NaN rate reached the limiter:
    a replay rate is a positive, finite number of items per second."""
    if rate is not None and not (0 < rate < math.inf):
        raise UsageError(f"--rate: {rate:g}; replay at a positive number of items per second")


def make_publisher(settings):
    """The Kafka publisher; a seam for tests that publish into memory."""
    from producers.publisher import RawPublisher

    return RawPublisher(settings)


def open_state(data_dir: Path) -> SourceState:
    """The producer state, or one ``error:`` line when the data directory is unusable."""
    import sqlite3

    try:
        return SourceState.in_data_dir(data_dir)
    except (OSError, sqlite3.Error) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"data directory {data_dir} is not usable: {why}") from None


def produce_command(
    sources: list[str] = typer.Argument(..., help="files, directories, http(s) URLs; - = stdin"),
    fmt: str | None = typer.Option(None, "--format", help="default: detected per document"),
    source: str | None = typer.Option(None, "--source",
                                      help="source name (default: file stem; stdin for - and pipes)"),
    poll: float | None = typer.Option(None, "--poll", help="poll URLs every SECONDS (>= 1)"),
    rate: float | None = typer.Option(None, "--rate", help="replay JSON lines at N items/s"),
    source_tz: str | None = typer.Option(None, "--source-tz", help="IANA zone of the source"),
) -> None:
    """Publish new and changed items of files, directories and URLs to wire.raw."""
    from producers.limits import ProducerLimits
    from wirestream.context import settings as current_settings

    check_options(source_tz=source_tz, fmt=fmt, source=source)
    check_poll(poll)
    check_rate(rate)
    settings = current_settings()
    state = open_state(settings.data_dir)
    publisher = make_publisher(settings)
    opts = PipelineOptions(fmt=fmt, source=source, source_tz=source_tz,
                           limits=ProducerLimits.from_settings(settings))
    pipeline = ProducerPipeline(publisher, opts, state=state, err=_stderr,
                                limiter=RateLimiter(rate) if rate else None,
                                batch_items=max(1, int(rate or 500)))
    interrupted = False
    try:
        run_produce(sources, pipeline, poll=poll, rate=rate)
    except KeyboardInterrupt:  # Ctrl-C: say what went out so far, then exit 130, not 0
        interrupted = True
    finally:
        publisher.close()
        state.close()
    typer.echo(pipeline.counts.line() + (" (interrupted)" if interrupted else ""), err=True)
    if interrupted:
        raise typer.Exit(INTERRUPTED)
    if pipeline.counts.exit_code:
        raise typer.Exit(pipeline.counts.exit_code)
