"""One unreadable file (or subdirectory) of a directory is named and skipped; the files after
it are still read, and the exit code still says something failed (2)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from producers.limits import ProducerLimits
from producers.sources.reading import read_documents
from tests.support.cli_run import read_published, run_cli

RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>'
       b"<item><guid>x-1</guid><title>Eins</title><description>Erstes.</description>"
       b"<pubDate>Sat, 24 Jan 2026 16:00:00 +0100</pubDate></item></channel></rss>")


def line(guid: str, headline: str = "Kop") -> bytes:
    return (b'{"guid": "%s", "headline": "%s", "body": "Tekst van het bericht.", '
            b'"published_at": "2026-01-24T16:00:00+01:00"}\n' % (guid.encode(), headline.encode()))


def unprivileged() -> list[str]:
    """A command prefix under which mode 000 really locks a file: root without the
    capabilities that bypass file permissions."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop CAP_DAC_OVERRIDE")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"]


def locked_directory(root: Path) -> Path:
    d = root / "nb"
    (d / "lockdir").mkdir(parents=True)
    (d / "0first.xml").write_bytes(RSS)
    (d / "a.jsonl").write_bytes(line("a-1") + line("a-2"))
    (d / "lockdir" / "inner.jsonl").write_bytes(line("in-1"))
    (d / "locked.jsonl").write_bytes(line("l-1"))
    (d / "z.jsonl").write_bytes(line("z-1") + b"not json\n")
    for locked in (d / "locked.jsonl", d / "lockdir"):
        locked.chmod(0)
    return d


def test_produce_skips_only_the_unreadable_file(tmp_path):
    d = locked_directory(tmp_path)
    out = tmp_path / "published.jsonl"
    run = run_cli(["produce", str(d)], data_dir=tmp_path / "data", published=out,
                  prefix=unprivileged())
    assert run.returncode == 2, run.stderr
    err = run.stderr.decode()
    assert f"cannot read {d / 'locked.jsonl'}: Permission denied" in err
    assert f"cannot read {d / 'lockdir'}: Permission denied" in err
    assert f"cannot read {d}:" not in err
    keys = [r["key"] for r in read_published(out)]
    assert keys == ["x-1", "a-1", "a-2", "z-1"]  # z.jsonl, after the locked file, is read
    assert "published 4, unchanged 0, failed 2, dead-lettered 1" in err


def test_parse_skips_the_unreadable_file_and_names_files_in_errors(tmp_path):
    d = locked_directory(tmp_path)
    run = run_cli(["parse", "--fetched-at", "2026-01-24T18:00:00Z", str(d)],
                  data_dir=tmp_path / "data", prefix=unprivileged())
    assert run.returncode == 2, run.stderr
    err = run.stderr.decode()
    assert f"cannot read {d / 'locked.jsonl'}: Permission denied" in err
    assert f"{d / 'z.jsonl'}: line 2: malformed JSON" in err  # the file, not the directory
    assert len(run.stdout.splitlines()) == 4
    assert "parsed 4 item(s), 3 dead letter(s)" in err


def test_reader_reports_each_unreadable_file_and_goes_on(tmp_path, monkeypatch):
    """The same without privileges to drop: opening one file raises PermissionError."""
    d = tmp_path / "d"
    d.mkdir()
    for name in ("a.jsonl", "locked.jsonl", "z.jsonl"):
        (d / name).write_bytes(line(name[0]))
    real_open = Path.open

    def open_(self, *args, **kw):
        if self.name == "locked.jsonl":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kw)

    monkeypatch.setattr(Path, "open", open_)
    said: list[str] = []
    docs = list(read_documents(str(d), limits=ProducerLimits(), on_unreadable=said.append))
    assert [Path(doc.name).name for doc in docs] == ["a.jsonl", "z.jsonl"]
    assert said == [f"cannot read {d / 'locked.jsonl'}: Permission denied"]
    with pytest.raises(Exception, match=f"cannot read {d / 'locked.jsonl'}"):
        list(read_documents(str(d), limits=ProducerLimits()))  # no callback: a UsageError
