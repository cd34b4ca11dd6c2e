"""The one producer pipeline: read -> split -> order -> publish, for ``up`` and ``produce``.

``prepare_document`` is pure: one fetched document becomes its raw items in publication
order (oldest first) plus a dead letter for every part that cannot go on — a refused
document (too large, a DTD with entities), an item the splitter cannot cut out, an item
larger than ``max_item_bytes``. Nothing is dropped silently: every byte of input is either
in an item or in a dead letter (a prefix plus a reference when it is too large to carry).

``ProducerPipeline`` publishes prepared documents — items to ``wire.raw`` (skipping the ones
the source state has already seen), dead letters to ``wire.dlq`` — and counts both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from producers.formats import FORMATS, detect_format, split_document
from producers.formats.order import publication_order
from producers.limits import ProducerLimits
from producers.rate import RateLimiter
from producers.sources.base import Document, source_name
from producers.state import SourceState, select_changed
from schemas.models import DeadLetter, InvalidItem, RawItem, RawMeta
from wirecore.dates import read_fetched_at, zone
from wirecore.deadletter import build_dead_letter, fit_original
from wirecore.errors import UsageError

STAGE = "produce"


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """What the person said about the sources; built once at the entry point."""

    fmt: str | None = None
    source: str | None = None
    source_tz: str | None = None
    fetched_at: str | None = None
    limits: ProducerLimits = field(default_factory=ProducerLimits)


def check_options(*, source_tz: str | None = None, fetched_at: str | None = None,
                  fmt: str | None = None, source: str | None = None) -> None:
    """``--source-tz``, ``--fetched-at``, ``--format`` and ``--source`` checked before anything
    is read or published, by the parse stage's own readers: a bad value would otherwise be
    copied into every item's metadata and dead-letter all of them later (a blank source is
    "missing source" at parse), while the command said it had published them; an unknown
    format would make good documents dead letters. One ``UsageError`` (exit 2) for
    ``parse``, ``produce`` and ``up`` alike."""
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"--format: unknown format {fmt[:40]!r} (one of {', '.join(FORMATS)})")
    if source and (not source.strip() or not source.isprintable()):  # "" = the default name
        raise UsageError(f"--source: {source[:40]!r} is not a source name (printable text, "
                         "not blank)")
    try:
        zone(source_tz)
    except InvalidItem as exc:
        raise UsageError(f"--source-tz: {exc.reason}") from None
    if fetched_at is not None:
        try:
            read_fetched_at(fetched_at)
        except InvalidItem as exc:
            raise UsageError(f"--fetched-at: {exc.reason} (an ISO time, e.g. "
                             "2026-01-24T18:00:00+01:00)") from None


@dataclass(slots=True)
class Prepared:
    """One document, ready to publish: items oldest first, dead letters, notes."""

    name: str
    items: list[RawItem] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _letter(reason: str, value: bytes, meta: RawMeta, doc: Document, limits: ProducerLimits, *,
            total: int | None = None, key: str | None = None, at_least: bool = False) -> DeadLetter:
    kept, suffix = fit_original(value, limits.dead_letter_budget, total, at_least=at_least)
    headers = meta.to_headers() + [("document", doc.name.encode("utf-8", "replace"))]
    return build_dead_letter(stage=STAGE, reason=reason + suffix, topic=None, partition=None,
                             offset=None, value=kept, key=key.encode() if key else None,
                             headers=headers)


def prepare_document(doc: Document, opts: PipelineOptions) -> Prepared:
    """Split, order and check one document (pure: no Kafka, no state)."""
    limits = opts.limits
    fetched_at = opts.fetched_at or doc.fetched_at
    source = opts.source or doc.source or source_name(doc.url or doc.name)
    fmt = doc.fmt or opts.fmt
    out = Prepared(doc.name)

    def meta(f: str | None) -> RawMeta:
        return RawMeta(source=source, format=f or "unknown", fetched_at=fetched_at,
                       url=doc.url or doc.name, content_type=doc.content_type,
                       source_tz=opts.source_tz)

    if doc.refused:
        # a refused document was read only up to its limit; a line or streamed item whole
        stopped_early = doc.fmt != "jsonl" and not doc.exact_size
        out.dead_letters.append(_letter(doc.refused, doc.data, meta(fmt), doc, limits, total=doc.size,
                                        at_least=stopped_early))
        return out
    if fmt is None and doc.data.strip():
        try:
            fmt = detect_format(doc.data, filename=doc.url or doc.name, content_type=doc.content_type)
        except InvalidItem as exc:
            out.dead_letters.append(_letter(exc.reason, doc.data, meta(None), doc, limits))
            return out
    result = split_document(doc.data, fmt, source=source, fetched_at=fetched_at,
                            url=doc.url or doc.name, content_type=doc.content_type,
                            source_tz=opts.source_tz, first_line=doc.first_line)
    out.notes.extend(result.notes)
    for reason, raw in result.errors:
        out.dead_letters.append(_letter(reason, raw, meta(fmt), doc, limits))
    for item in publication_order(result.items):
        size = len(item.payload)
        if size > limits.max_item_bytes:
            reason = f"item of {size} bytes exceeds max_item_bytes={limits.max_item_bytes}"
            out.dead_letters.append(_letter(reason, item.payload, item.meta, doc, limits, key=item.key))
        else:
            out.items.append(item)
    return out


@dataclass
class Counts:
    published: int = 0
    unchanged: int = 0
    dead_lettered: int = 0
    unreadable: int = 0  # sources that could not be read or fetched
    undelivered: int = 0  # items or dead letters the broker did not acknowledge

    @property
    def failed(self) -> int:
        return self.unreadable + self.undelivered

    def line(self) -> str:
        return (f"published {self.published}, unchanged {self.unchanged}, failed {self.failed}, "
                f"dead-lettered {self.dead_lettered}")

    @property
    def exit_code(self) -> int:
        """1: something was not delivered; 2: bad input (good items still went on); 0: ok."""
        if self.undelivered:
            return 1
        return 2 if self.unreadable or self.dead_lettered else 0


class ProducerPipeline:
    """Publish prepared documents; the publisher and the source state are injected."""

    def __init__(self, publisher, options: PipelineOptions, *, state: SourceState | None = None,
                 err: Callable[[str], None] = lambda _: None, limiter: RateLimiter | None = None,
                 batch_items: int = 500):
        self.publisher, self.options, self.state = publisher, options, state
        self.err, self.limiter, self.batch_items = err, limiter, batch_items
        self.counts = Counts()

    def run(self, documents: Iterable[Document]) -> Counts:
        for doc in documents:
            self.publish(prepare_document(doc, self.options))
        return self.counts

    def unreadable(self, line: str) -> None:
        """A source (or one file of a directory) that could not be read: say which, count it
        as failed, and let the caller go on with the next one."""
        self.err(line)
        self.counts.unreadable += 1

    def publish(self, prepared: Prepared, progress: Callable[[int], None] | None = None) -> None:
        for note in prepared.notes:
            self.err(f"{prepared.name}: note: {note}")
        for dl in prepared.dead_letters:
            self.err(f"{prepared.name}: dead letter: {dl.reason}")
        if prepared.dead_letters:
            report = self.publisher.publish_dead_letters(prepared.dead_letters)
            self.counts.dead_lettered += report.published
            self._failures(report)
        fresh = self._changed(prepared.items)
        skipped = len(prepared.items) - len(fresh)
        self.counts.unchanged += skipped
        if progress and skipped:
            progress(skipped)
        for batch in self._batches(fresh):
            self._publish_items(batch)
            if progress:
                progress(len(batch))

    def _changed(self, items: list[RawItem]) -> list[RawItem]:
        """The whole document is compared at once, not batch by batch: a key repeated inside
        it is one key's history (``select_changed``), wherever the batches are cut."""
        if self.state is not None:
            return self.state.changed(items)
        return select_changed(items, {})

    def _batches(self, items: list[RawItem]) -> Iterator[list[RawItem]]:
        batch: list[RawItem] = []
        for item in items:
            if self.limiter is not None:
                self.limiter.wait()
            batch.append(item)
            if len(batch) >= self.batch_items:
                yield batch
                batch = []
        if batch:
            yield batch

    def _publish_items(self, fresh: list[RawItem]) -> None:
        report = self.publisher.publish(fresh)
        if self.state:
            acked = set(report.keys)
            self.state.record(i for i in fresh if i.key in acked)
        self.counts.published += report.published
        self._failures(report)

    def _failures(self, report) -> None:
        self.counts.undelivered += len(report.failed)
        for failure in report.failed:
            self.err(f"publish failed: {failure}")
