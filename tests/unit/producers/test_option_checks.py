"""``--source-tz`` and ``--fetched-at`` are checked up front by one function
(``producers.pipeline.check_options``): one ``error:`` line, exit 2, nothing published or
started. A bad value used to be copied into every item and dead-letter all of them later,
while ``produce`` and ``up`` exited 0."""

from __future__ import annotations

import pytest

from producers.pipeline import check_options
from tests.support.cli_run import read_published, run_cli
from wirecore.errors import UsageError

DATES = b"".join(b'{"guid": "d%d", "headline": "Bericht %d", "body": "Tekst %d.", '
                 b'"published_at": "2026-01-24 16:%02d"}\n' % (n, n, n, n) for n in range(3))


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"source_tz": "Bogus/Zone"}, "--source-tz: unknown time zone 'Bogus/Zone'"),
    ({"source_tz": "../../etc/passwd"}, "--source-tz: unknown time zone"),
    ({"fetched_at": "bogus"}, "--fetched-at: unparseable fetched_at 'bogus'"),
    ({"fetched_at": "0001-01-01T00:00:00Z"}, "outside the storable range"),
    ({"fmt": "bogus"}, "--format: unknown format 'bogus' (one of listing, rss, atom, newsml, ninjs, jsonl)"),
    ({"fmt": "RSS"}, "--format: unknown format 'RSS'"),
    ({"source": " "}, "--source: ' ' is not a source name"),
    ({"source": "anp\x01"}, "--source: 'anp\\x01' is not a source name"),
])
def test_check_options_refuses(kwargs, says):
    with pytest.raises(UsageError) as caught:
        check_options(**kwargs)
    assert says in str(caught.value)


def test_check_options_accepts_what_the_parser_reads():
    check_options(source_tz="Europe/Amsterdam", fetched_at="2026-01-24T18:00:00Z")
    check_options(source_tz=None, fetched_at="2026-01-24 18:00")  # naive: UTC
    check_options()
    check_options(fmt="newsml", source="Reuters World")
    check_options(source="")  # an empty --source means the default name, as before


def error_lines(run) -> list[str]:
    return [line for line in run.stderr.decode().splitlines() if line.strip()]


def test_produce_bad_source_tz_publishes_nothing(tmp_path):
    feed = tmp_path / "dates.jsonl"
    feed.write_bytes(DATES)
    out = tmp_path / "published.jsonl"
    run = run_cli(["produce", "--source-tz", "Bogus/Zone", "--source", "tzt", str(feed)],
                  data_dir=tmp_path / "data", published=out)
    assert run.returncode == 2
    assert error_lines(run) == ["error: --source-tz: unknown time zone 'Bogus/Zone'"]
    assert read_published(out) == [] and read_published(out, "dlq") == []


def test_parse_bad_source_tz_is_one_error_line(tmp_path):
    feed = tmp_path / "dates.jsonl"
    feed.write_bytes(DATES)
    run = run_cli(["parse", "--source-tz", "Bogus/Zone", str(feed)], data_dir=tmp_path / "data")
    assert run.returncode == 2 and run.stdout == b""
    assert error_lines(run) == ["error: --source-tz: unknown time zone 'Bogus/Zone'"]


def test_up_bad_fetched_at_starts_nothing(tmp_path):
    feed = tmp_path / "fa.jsonl"
    feed.write_bytes(DATES)
    run = run_cli(["up", "--fetched-at", "bogus", str(feed)], data_dir=tmp_path / "data",
                  timeout=60)
    assert run.returncode == 2
    lines = error_lines(run)
    assert len(lines) == 1 and lines[0].startswith("error: --fetched-at: unparseable fetched_at")
    assert not (tmp_path / "data" / "logs").exists()  # no child process was started


@pytest.mark.parametrize(("args", "says"), [
    (["--format", "bogus"], "error: --format: unknown format 'bogus'"),
    (["--source", " "], "error: --source: ' ' is not a source name"),
])
def test_produce_bad_format_or_blank_source_publishes_nothing(tmp_path, args, says):
    """A typo in ``--format`` made every good document a dead letter; a blank ``--source``
    was published and dead-lettered at parse ("missing source"), after ``produce`` exited 0."""
    feed = tmp_path / "dates.jsonl"
    feed.write_bytes(DATES)
    out = tmp_path / "published.jsonl"
    run = run_cli(["produce", *args, str(feed)], data_dir=tmp_path / "data", published=out)
    assert run.returncode == 2
    [line] = error_lines(run)
    assert line.startswith(says), line
    assert read_published(out) == [] and read_published(out, "dlq") == []
    parsed = run_cli(["parse", *args, str(feed)], data_dir=tmp_path / "data")
    assert parsed.returncode == 2 and parsed.stdout == b""
    assert error_lines(parsed) == [line]
