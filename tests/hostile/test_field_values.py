"""Hostile field values, as a user meets them: ``wirestream parse`` as a subprocess. A value of
the wrong shape in one item is dropped or dead-letters that item; it never crashes the
command (no traceback) and never takes a neighbour with it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.hostile.support import FETCHED, run_wirestream

NEWSML = ('<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g-{n}" version="{v}">'
          "<contentMeta><urgency>{v}</urgency><headline>Kop {n}</headline></contentMeta></newsItem>")


@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000])
def test_a_version_or_urgency_that_only_looks_like_a_number_is_no_number(tmp_path: Path, value):
    """``str.isdigit`` says yes to "²" and to 5000 digits; ``int()`` refused both (a traceback
    from ``parse``, an "internal error" dead letter in the worker)."""
    ninjs = tmp_path / "item.ninjs.json"
    ninjs.write_text('{"uri": "u1", "headline": "Kop", "body_text": "Tekst.", '
                     f'"version": "{value}", "urgency": "{value}"}}', encoding="utf-8")
    newsml = tmp_path / "item.newsml.xml"
    newsml.write_text(NEWSML.format(n=1, v=value), encoding="utf-8")
    for path, fmt in ((ninjs, "ninjs"), (newsml, "newsml")):
        run = run_wirestream("parse", "--format", fmt, "--fetched-at", FETCHED, str(path), tmp=tmp_path)
        assert run.code == 0, run.stderr
        assert "Traceback" not in run.stderr
        [record] = run.records
        assert (record["revision"], record["urgency"]) == (0, None)


def test_ascii_digits_still_read(tmp_path: Path):
    path = tmp_path / "item.ninjs.json"
    path.write_text('{"uri": "u1", "headline": "Kop", "body_text": "Tekst.", "version": " 7 ", '
                    '"urgency": "03"}', encoding="utf-8")
    run = run_wirestream("parse", "--format", "ninjs", "--fetched-at", FETCHED, str(path), tmp=tmp_path)
    assert run.code == 0, run.stderr
    [record] = run.records
    assert (record["revision"], record["urgency"]) == (7, 3)


def test_an_item_of_only_invisible_characters_is_empty(tmp_path: Path):
    """Zero-width spaces, direction marks, a BOM or a soft hyphen show nothing: such an item is
    an empty item (dead letter), not a story with a blank headline; its neighbour goes on."""
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"guid": "a", "headline": "\\u200b\\u200b", "body": "\\u202e\\u200f"}\n'
        '{"guid": "b", "headline": "\\u00a0\\u3000", "body": "\\ufeff\\u00ad"}\n'
        '{"guid": "c", "headline": "\\u2060", "body": "Echte tekst. Meer."}\n'
        '{"guid": "d", "headline": "Goed", "body": "Tekst."}\n', encoding="utf-8")
    run = run_wirestream("parse", "--fetched-at", FETCHED, str(path), tmp=tmp_path)
    assert run.code == 2, run.stderr
    assert [r["guid"] for r in run.records] == ["c", "d"]
    assert run.records[0]["headline"] == "Echte tekst"
    assert [ln.split(": ", 1)[1] for ln in run.dead_letters] == [
        "item a: empty item: no headline and no body text",
        "item b: empty item: no headline and no body text"]


def test_a_json_lines_source_is_one_bounded_line_of_text(tmp_path: Path):
    """A line's own ``source`` names the item and is stored as is: control characters are
    dropped, it is cut at 200 characters, and an invisible one falls back to the file's."""
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"guid": "a", "headline": "Kop a", "source": "anp\\u0000\\nwire"}\n'
        '{"guid": "b", "headline": "Kop b", "source": "' + "s" * 5000 + '"}\n'
        '{"guid": "c", "headline": "Kop c", "source": "\\u200b "}\n', encoding="utf-8")
    run = run_wirestream("parse", "--fetched-at", FETCHED, str(path), tmp=tmp_path)
    assert run.code == 0, run.stderr
    assert [r["source"] for r in run.records] == ["anp wire", "s" * 200, "feed"]


@pytest.mark.parametrize("markup", ["<script>" * 60000, "<a " * 200000, "<!--" * 200000,
                                    "<p>Tekst</p>" + "<style x>" * 60000])
def test_markup_that_never_closes_is_read_in_linear_time(tmp_path: Path, markup):
    """Tags, comments and script elements that never close: the tag-stripping regexes looked
    for the end from every "<", minutes for one such body (120 s and more), and the parse
    stage held its partition all that time."""
    path = tmp_path / "item.ninjs.json"
    path.write_text(orjson.dumps({"uri": "u", "headline": "Kop", "body_html": markup}).decode())
    run = run_wirestream("parse", "--format", "ninjs", "--fetched-at", FETCHED, str(path),
                         tmp=tmp_path, timeout=60)
    assert run.code == 0, run.stderr
    assert run.seconds < 15, run.seconds
    [record] = run.records
    assert record["headline"] == "Kop"
