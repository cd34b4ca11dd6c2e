"""``wirestream parse FILE…``: one normalised record per item, as JSON lines on stdout.

The same reading, splitting and ordering as the producer pipeline (``prepare_document``)
and the same ``parse_raw_item`` the stream processor runs. Every dead letter — a part the
producer would send to ``wire.dlq``, or an item the parser refuses — is one line on stderr;
the good items are still printed; a summary line counts both; any bad input -> exit 2.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import typer

from processors.parsing import parse_raw_item
from producers.limits import ProducerLimits
from producers.pipeline import PipelineOptions, check_options, prepare_document
from producers.sources.http import FetchError
from producers.sources.reading import read_documents
from schemas.models import InvalidItem
from wirecore.errors import UsageError


def parse_files(
    files: list[Path | str], fmt: str | None, fetched_at: str | None, source: str | None,
    source_tz: str | None = None, out=None, err=None, limits: ProducerLimits | None = None,
) -> tuple[int, int]:
    """Print records; return (items printed, dead letters)."""
    out = out or sys.stdout.buffer
    err = err or sys.stderr
    limits = limits or ProducerLimits()
    opts = PipelineOptions(fmt=fmt, source=source, source_tz=source_tz, limits=limits,
                           fetched_at=fetched_at or datetime.now(UTC).isoformat(timespec="seconds"))
    good = bad = 0

    def unreadable(line: str) -> None:
        nonlocal bad
        err.write(f"{line}\n")
        bad += 1

    for path in files:
        try:
            for doc in read_documents(str(path), limits=limits, fmt=fmt, on_unreadable=unreadable):
                prepared = prepare_document(doc, opts)
                for dl in prepared.dead_letters:  # named by file: a directory has many
                    err.write(f"{doc.name}: {dl.reason}\n")
                    bad += 1
                for item in prepared.items:
                    try:
                        record = parse_raw_item(item.payload, item.meta,
                                                max_bytes=limits.max_item_bytes)
                    except InvalidItem as exc:
                        err.write(f"{doc.name}: item {item.key}: {exc.reason}\n")
                        bad += 1
                        continue
                    except (OSError, MemoryError):
                        raise
                    except Exception as exc:  # noqa: BLE001 - a parser bug: that item's dead letter, as in the worker
                        err.write(f"{doc.name}: item {item.key}: internal error: "
                                  f"{type(exc).__name__}: {str(exc)[:200]}\n")
                        bad += 1
                        continue
                    out.write(orjson.dumps(record.to_dict()) + b"\n")
                    good += 1
        except UsageError as exc:
            unreadable(str(exc))
        except FetchError as exc:
            err.write(f"cannot fetch {exc}\n")
            bad += 1
    out.flush()
    return good, bad


def parse_command(
    files: list[str] = typer.Argument(..., help="files, directories, URLs; - = stdin"),
    fmt: str | None = typer.Option(None, "--format", help="listing|rss|atom|ninjs|newsml|jsonl"),
    fetched_at: str | None = typer.Option(None, "--fetched-at", help="ISO time (default now)"),
    source: str | None = typer.Option(None, "--source",
                                      help="source name (default: file stem; stdin for - and pipes)"),
    source_tz: str | None = typer.Option(None, "--source-tz", help="IANA zone of the source"),
) -> None:
    """Parse documents and print one normalised JSON record per item."""
    from wirestream.context import settings as current_settings

    check_options(source_tz=source_tz, fetched_at=fetched_at, fmt=fmt, source=source)
    limits = ProducerLimits.from_settings(current_settings())
    good, bad = parse_files(files, fmt, fetched_at, source, source_tz, limits=limits)
    typer.echo(f"parsed {good} item(s), {bad} dead letter(s)", err=True)
    if bad:
        raise typer.Exit(2)
