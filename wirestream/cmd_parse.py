"""``wirestream parse FILE…``: one normalised record per item, as JSON lines on stdout.

The same ``split_document`` + ``parse_raw_item`` the stream processor runs. A bad file or
item is one line on stderr; the good items are still printed; any bad input -> exit 2.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import typer

from processors.parsing import parse_raw_item
from producers.formats import detect_format, split_document
from producers.sources.base import source_name
from schemas.models import InvalidItem


def parse_files(
    files: list[Path], fmt: str | None, fetched_at: str | None, source: str | None,
    source_tz: str | None = None, out=None, err=None,
) -> int:
    """Print records; return the number of bad files/items."""
    out = out or sys.stdout.buffer
    err = err or sys.stderr
    fetched = fetched_at or datetime.now(UTC).isoformat(timespec="seconds")
    bad = 0
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            err.write(f"{path}: cannot read: {exc.strerror}\n")
            bad += 1
            continue
        try:
            doc_fmt = fmt or detect_format(data, filename=path.name)
        except InvalidItem as exc:
            err.write(f"{path}: {exc.reason}\n")
            bad += 1
            continue
        result = split_document(data, doc_fmt, source=source or source_name(str(path)), fetched_at=fetched,
                                source_tz=source_tz)
        for reason, _ in result.errors:
            err.write(f"{path}: {reason}\n")
            bad += 1
        for item in result.items:
            try:
                record = parse_raw_item(item.payload, item.meta)
            except InvalidItem as exc:
                err.write(f"{path}: item {item.key}: {exc.reason}\n")
                bad += 1
                continue
            out.write(orjson.dumps(record.to_dict()) + b"\n")
    out.flush()
    return bad


def parse_command(
    files: list[Path] = typer.Argument(..., help="documents to parse"),
    fmt: str | None = typer.Option(None, "--format", help="listing|rss|atom|ninjs|newsml|jsonl"),
    fetched_at: str | None = typer.Option(None, "--fetched-at", help="ISO time (default now)"),
    source: str | None = typer.Option(None, "--source", help="source name (default: stem)"),
    source_tz: str | None = typer.Option(None, "--source-tz", help="IANA zone of the source"),
) -> None:
    """Parse documents and print one normalised JSON record per item."""
    if fetched_at is not None:
        try:
            datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
        except ValueError:
            typer.echo(f"--fetched-at: not an ISO time: {fetched_at!r}", err=True)
            raise typer.Exit(2) from None
    bad = parse_files(files, fmt, fetched_at, source, source_tz)
    if bad:
        raise typer.Exit(2)
