"""``wirestream produce SOURCE…``: fetch files, directories and URLs, split them into raw
items and publish the new or changed ones to ``wire.raw``.

``--poll SECONDS`` keeps polling URLs (conditional GET, backoff on errors); ``--rate N``
replays JSON-lines files at N items/s with a progress bar.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import typer

from producers.formats import split_document
from producers.formats.order import publication_order
from producers.sources.base import Document, now_iso, source_name
from producers.sources.files import iter_file_documents
from producers.sources.http import UrlSource
from producers.sources.replay import count_lines, iter_replay_items
from producers.state import SourceState
from schemas.models import RawItem


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


class Producer:
    """Split -> skip unchanged -> publish -> remember. The publisher is injected."""

    def __init__(self, publisher, state: SourceState, *, fmt: str | None, source: str | None,
                 source_tz: str | None = None, err: Callable[[str], None] | None = None):
        self.publisher, self.state = publisher, state
        self.fmt, self.source, self.source_tz = fmt, source, source_tz
        self.err = err or (lambda line: print(line, file=sys.stderr))
        self.published = self.skipped = self.failed = 0

    def source_name(self, ref: str) -> str:
        return self.source or source_name(ref)

    def document(self, doc: Document, ref: str) -> None:
        result = split_document(doc.data, self.fmt, source=self.source_name(ref),
                                fetched_at=doc.fetched_at, url=doc.url or doc.name,
                                content_type=doc.content_type, source_tz=self.source_tz)
        for note in result.notes:
            self.err(f"{doc.name}: note: {note}")
        for reason, _ in result.errors:
            self.err(f"{doc.name}: {reason}")
            self.failed += 1
        self.items(publication_order(result.items))

    def items(self, items: Iterable[RawItem], progress=None) -> None:
        items = list(items)
        fresh = self.state.changed(items)
        self.skipped += len(items) - len(fresh)
        if not fresh:
            return
        report = self.publisher.publish(fresh, progress) if progress else \
            self.publisher.publish(fresh)
        acked = getattr(report, "keys", None)
        if acked is not None:
            acked = set(acked)
            self.state.record(i for i in fresh if i.key in acked)
        elif not report.failed:
            self.state.record(fresh)
        self.published += report.published
        self.failed += len(report.failed)
        for failure in report.failed:
            self.err(f"publish failed: {failure}")


def run_produce(refs: list[str], producer: Producer, *, poll: float | None, rate: float | None,
                client=None, sleep: Callable[[float], None] = time.sleep) -> None:
    urls = [r for r in refs if _is_url(r)]
    for ref in refs:
        if _is_url(ref):
            continue
        path = Path(ref)
        if not path.exists():
            producer.err(f"{ref}: no such file or directory")
            producer.failed += 1
        elif rate is not None or producer.fmt == "jsonl":
            _replay(path, producer, rate)
        else:
            for doc in iter_file_documents(path):
                producer.document(doc, doc.name)
    if not urls:
        return
    import httpx

    client = client or httpx.Client(timeout=30.0, headers={"User-Agent": "wirestream/0.1"})
    sources = [UrlSource(u, client, producer.state) for u in urls]
    if poll is None:
        for src in sources:
            try:
                doc = src.fetch()
            except RuntimeError as exc:
                producer.err(str(exc))
                producer.failed += 1
                continue
            if doc is not None:
                producer.document(doc, src.url)
        return
    if len(sources) > 1:
        producer.err("--poll with several URLs polls the first one only; start one per URL")
    for doc in sources[0].poll(poll, sleep=sleep, on_error=producer.err):
        producer.document(doc, sources[0].url)


def _replay(path: Path, producer: Producer, rate: float | None) -> None:
    from rich.progress import Progress

    def on_error(line: str) -> None:
        producer.err(line)
        producer.failed += 1

    items = iter_replay_items(path, source=producer.source_name(str(path)), fetched_at=now_iso(),
                              rate=rate, on_error=on_error)
    with Progress(transient=True) as progress:
        task = progress.add_task(f"replay {path.name}", total=count_lines(path))
        batch: list[RawItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= max(1, int(rate or 500)):
                producer.items(batch)
                progress.advance(task, len(batch))
                batch = []
        producer.items(batch)
        progress.advance(task, len(batch))


def make_publisher(settings):
    """The Kafka publisher; a seam for tests that publish into memory."""
    from producers.publisher import RawPublisher

    return RawPublisher(settings)


def produce_command(
    sources: list[str] = typer.Argument(..., help="files, directories or http(s) URLs"),
    fmt: str | None = typer.Option(None, "--format", help="default: detected per document"),
    source: str | None = typer.Option(None, "--source", help="source name (default: stem)"),
    poll: float | None = typer.Option(None, "--poll", help="poll URLs every SECONDS"),
    rate: float | None = typer.Option(None, "--rate", help="replay JSON lines at N items/s"),
    source_tz: str | None = typer.Option(None, "--source-tz", help="IANA zone of the source"),
) -> None:
    """Publish new and changed items of files, directories and URLs to wire.raw."""
    from wirestream.context import settings as current_settings

    settings = current_settings()
    publisher = make_publisher(settings)
    state = SourceState.in_data_dir(settings.data_dir)
    producer = Producer(publisher, state, fmt=fmt, source=source, source_tz=source_tz)
    try:
        run_produce(sources, producer, poll=poll, rate=rate)
    except KeyboardInterrupt:
        pass
    finally:
        publisher.close()
        state.close()
    typer.echo(f"published {producer.published}, unchanged {producer.skipped}, "
               f"failed {producer.failed}", err=True)
    if producer.failed:
        raise typer.Exit(2)
