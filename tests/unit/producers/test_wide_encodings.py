"""A feed in UTF-16 or UTF-32 with a byte-order mark is sniffed like its UTF-8 twin (the raw
head of a UTF-16 file is every other byte NUL: it was refused as binary data)."""

from __future__ import annotations

import codecs
from pathlib import Path

import orjson
import pytest

from producers.formats.detect import detect_format
from schemas.models import InvalidItem
from tests.support.cli_run import run_cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/formats"
WIDE = [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE)]


def wide(text: str, codec: str, bom: bytes) -> bytes:
    return bom + text.replace('encoding="UTF-8"', f'encoding="{codec.upper()}"').encode(codec)


@pytest.mark.parametrize(("codec", "bom"), WIDE)
@pytest.mark.parametrize(("fixture", "fmt"), [("rss-categories.xml", "rss"),
                                              ("atom-categories.xml", "atom"),
                                              ("newsml-editorial.xml", "newsml")])
def test_detect_format_reads_past_a_wide_bom(codec, bom, fixture, fmt):
    data = wide((FIXTURES / fixture).read_text(), codec, bom)
    assert detect_format(data, filename="feed") == fmt


def test_wide_text_that_is_not_xml_is_named():
    data = codecs.BOM_UTF16_LE + '{"guid": "a", "headline": "Kop"}'.encode("utf-16-le")
    with pytest.raises(InvalidItem, match="utf-16-le text that is not XML"):
        detect_format(data, filename="feed.json")


def records(run) -> list[tuple]:
    return [(r["guid"], r["headline"], r["published_at"], r["body"])
            for r in map(orjson.loads, run.stdout.splitlines())]


def parse_twins(tmp_path, codec: str, bom: bytes):
    """``wirestream parse`` of the RSS fixture written in ``codec`` (after ``bom``) and of the
    fixture itself, as (wide run, UTF-8 run)."""
    twin = FIXTURES / "rss-categories.xml"
    feed = tmp_path / "wide.xml"
    feed.write_bytes(wide(twin.read_text(), codec, bom))
    args = ["parse", "--fetched-at", "2026-01-24T18:00:00Z", "--source", "w"]
    return (run_cli([*args, str(feed)], data_dir=tmp_path / "data"),
            run_cli([*args, str(twin)], data_dir=tmp_path / "data"))


@pytest.mark.parametrize(("codec", "bom"), WIDE[:2])
def test_parse_a_utf16_feed_like_its_utf8_twin(tmp_path, codec, bom):
    utf16, utf8 = parse_twins(tmp_path, codec, bom)
    assert b"unknown format" not in utf16.stderr
    assert records(utf16) == records(utf8) and len(records(utf8)) == 2
    assert utf16.returncode == utf8.returncode  # 2: the twin has a year-0 item too


@pytest.mark.parametrize(("codec", "bom"), [*((c, b"") for c, _ in WIDE), WIDE[3]])
def test_parse_a_wide_feed_without_a_mark_and_a_utf32be_one(tmp_path, codec, bom):
    """A feed that declares ``encoding="UTF-16"`` (or UTF-32) without a byte-order mark is
    told by its first bytes (XML appendix F); it was refused as "binary data". A UTF-32 BE
    mark begins with two NUL bytes, and the document was refused as "XML with NUL bytes"."""
    got, utf8 = parse_twins(tmp_path, codec, bom)
    assert b"unknown format" not in got.stderr and b"NUL bytes" not in got.stderr
    assert records(got) == records(utf8) and len(records(utf8)) == 2
