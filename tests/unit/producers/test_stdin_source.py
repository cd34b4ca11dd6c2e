"""``-`` is standard input for ``parse`` and ``produce``; stdin, a pipe or /dev/fd/N gets the
stable default source name ``stdin`` (item ids hash the source: a name from the pipe's
inode gave new ids on every run)."""

from __future__ import annotations

import os

import orjson

from tests.support.cli_run import read_published, run_cli

DATES = b"".join(b'{"guid": "d%d", "headline": "Bericht %d", "body": "Tekst %d.", '
                 b'"published_at": "2026-01-24T16:%02d:00+01:00"}\n' % (n, n, n, n)
                 for n in range(12))


def test_produce_from_a_pipe_twice_publishes_once(tmp_path):
    out = tmp_path / "published.jsonl"

    def produce(ref: str) -> str:
        run = run_cli(["produce", ref], data_dir=tmp_path / "data", published=out, stdin=DATES)
        assert run.returncode == 0, run.stderr
        return run.stderr.decode().strip()

    assert produce("/dev/stdin").startswith("published 12, unchanged 0")
    assert produce("/dev/stdin").startswith("published 0, unchanged 12")  # same source, ids
    assert produce("-").startswith("published 0, unchanged 12")  # `-` is the same stdin
    assert {r["source"] for r in read_published(out)} == {"stdin"}


def test_produce_source_flag_still_names_a_pipe(tmp_path):
    out = tmp_path / "published.jsonl"
    run = run_cli(["produce", "--source", "feedx", "-"], data_dir=tmp_path / "data",
                  published=out, stdin=DATES)
    assert run.returncode == 0, run.stderr
    assert {r["source"] for r in read_published(out)} == {"feedx"}


def test_parse_dash_reads_stdin(tmp_path):
    run = run_cli(["parse", "--fetched-at", "2026-01-24T18:00:00Z", "-"],
                  data_dir=tmp_path / "data", stdin=DATES)
    assert run.returncode == 0, run.stderr
    records = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert len(records) == 12 and {r["source"] for r in records} == {"stdin"}


def test_parse_dev_fd_gets_the_stream_source_name(tmp_path):
    read, write = os.pipe()
    os.write(write, DATES)
    os.close(write)
    try:
        run = run_cli(["parse", "--fetched-at", "2026-01-24T18:00:00Z", f"/dev/fd/{read}"],
                      data_dir=tmp_path / "data", pass_fds=(read,))
    finally:
        os.close(read)
    assert run.returncode == 0, run.stderr
    assert {orjson.loads(line)["source"] for line in run.stdout.splitlines()} == {"stdin"}
