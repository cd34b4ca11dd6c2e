"""``wirestream produce`` of a document in which one key (guid) occurs several times: the
first run publishes its history once, re-runs of the unchanged file publish nothing."""

from __future__ import annotations

from tests.support.cli_run import read_published, run_cli


def line(guid: str, headline: str, minute: int) -> bytes:
    return (b'{"guid": "%s", "headline": "%s", "body": "Tekst %s.", '
            b'"published_at": "2026-01-24T16:%02d:00+01:00"}\n'
            % (guid.encode(), headline.encode(), headline.encode(), minute))


def test_an_unchanged_file_with_repeated_keys_publishes_nothing_again(tmp_path):
    flip = tmp_path / "flip.jsonl"
    flip.write_bytes(line("r1", "een", 0) + line("r1", "twee", 5) + line("r1", "een", 0)
                     + line("r2", "ander", 10))
    out = tmp_path / "published.jsonl"
    said = []
    for _ in range(3):
        run = run_cli(["produce", str(flip)], data_dir=tmp_path / "data", published=out)
        assert run.returncode == 0, run.stderr
        said.append(run.stderr.decode().strip())
    # oldest first: v1 (twice, an exact repeat), v2, then r2
    assert said[0] == "published 3, unchanged 1, failed 0, dead-lettered 0"
    assert said[1] == said[2] == "published 0, unchanged 4, failed 0, dead-lettered 0"
    assert [r["key"] for r in read_published(out)] == ["r1", "r1", "r2"]


def test_identical_lines_publish_one_item(tmp_path):
    same = tmp_path / "same.jsonl"
    same.write_bytes(line("d1", "een", 0) * 3)
    out = tmp_path / "published.jsonl"
    run = run_cli(["produce", str(same)], data_dir=tmp_path / "data", published=out)
    assert run.returncode == 0, run.stderr
    assert [r["key"] for r in read_published(out)] == ["d1"]
    assert "published 1, unchanged 2" in run.stderr.decode()
