"""``wirestream parse`` and ``wirestream produce`` through a local Typer app."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from typer.testing import CliRunner

from wirestream import cmd_produce

REPO = Path(__file__).resolve().parents[3]
PAGE = REPO / "../shared/data/anp-buitenland-page.txt"
FIXTURES = REPO / "tests/fixtures/formats"


def app_with(monkeypatch=None, publisher=None) -> typer.Typer:
    """The real CLI app; ``produce`` publishes into ``publisher`` instead of Kafka."""
    from wirestream.cli import app

    if publisher is not None:
        monkeypatch.setattr(cmd_produce, "make_publisher", lambda settings: publisher)
    return app


def test_parse_prints_one_record_per_item():
    result = CliRunner().invoke(app_with(), [
        "parse", "--fetched-at", "2026-01-24T18:00:00+01:00", "--source", "anp-buitenland",
        str(PAGE)])
    assert result.exit_code == 0, result.output
    records = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 8
    times = [r["published_at"] for r in records]
    assert "2026-01-24T16:46:00Z" in times
    assert times == sorted(times)  # the producer pipeline's order: oldest first
    assert {r["source"] for r in records} == {"anp-buitenland"}


def test_parse_reports_bad_items_and_exits_2(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00\x01\x02")
    result = CliRunner().invoke(app_with(), [
        "parse", "--fetched-at", "2026-01-24T18:00:00+01:00",
        str(FIXTURES / "backfill.jsonl"), str(bad)])
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 2  # the good items are still printed
    errors = result.stderr.splitlines()
    assert any("line 3: malformed JSON" in e for e in errors)
    assert any("item bf-3: unparseable published_at date" in e for e in errors)
    assert any(e.endswith("bad.bin: unknown format: binary data") for e in errors)
    records = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert records[1]["source"] == "backfill"  # default source: the file stem


class FakeReport:
    def __init__(self, keys):
        self.published, self.failed, self.keys = len(keys), [], list(keys)


class FakePublisher:
    def __init__(self):
        self.batches, self.closed = [], False

    def publish(self, items, progress=None):
        items = list(items)
        self.batches.append(items)
        return FakeReport([i.key for i in items])

    def publish_dead_letters(self, letters):
        letters = list(letters)
        self.dead_letters = getattr(self, "dead_letters", []) + letters
        return FakeReport([str(n) for n in range(len(letters))])

    def close(self):
        self.closed = True


def test_produce_publishes_new_items_once(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRESTREAM_DATA_DIR", str(tmp_path / "data"))
    publisher = FakePublisher()
    app = app_with(monkeypatch, publisher)
    args = ["produce", "--source", "anp-buitenland", str(PAGE)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert len(publisher.batches[0]) == 8 and publisher.closed
    assert {i.meta.source for i in publisher.batches[0]} == {"anp-buitenland"}
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0
    assert len(publisher.batches) == 1  # nothing changed: nothing republished
    assert "published 0, unchanged 8, failed 0" in second.stderr


def test_produce_replays_jsonl_with_rate(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRESTREAM_DATA_DIR", str(tmp_path / "data"))
    publisher = FakePublisher()
    app = app_with(monkeypatch, publisher)
    result = CliRunner().invoke(app, ["produce", "--rate", "1000", str(FIXTURES / "backfill.jsonl")])
    assert result.exit_code == 2  # one malformed line
    assert [i.key for b in publisher.batches for i in b] == ["bf-1", "42", "bf-3"]
    assert "line 3: malformed JSON" in result.stderr
