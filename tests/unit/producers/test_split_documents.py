"""split_document: detection, per-format splitting, and one bad part never losing the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producers.formats import SplitResult, detect_format, split_document
from schemas.models import InvalidItem

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "formats"
FETCHED = "2026-01-24T18:00:00+01:00"


def split(data: bytes, fmt: str | None = None, **kw) -> SplitResult:
    return split_document(data, fmt, source="test", fetched_at=FETCHED, **kw)


@pytest.mark.parametrize(("data", "kw", "expected"), [
    (b'<?xml version="1.0"?>\n<!-- c --><rss version="2.0"><channel/></rss>', {}, "rss"),
    (b"<rdf:RDF xmlns:rdf='x'><item/></rdf:RDF>", {}, "rss"),
    (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", {}, "atom"),
    (b"<newsMessage xmlns='http://iptc.org/std/nar/2006-10-01/'/>", {}, "newsml"),
    (b"<html><body><p>x</p></body></html>", {}, "listing"),
    (b'{"uri": "u", "headline": "h"}', {}, "ninjs"),
    (b'[{"headlines": [{"value": "h"}]}]', {}, "ninjs"),
    (b'{"title": "a"}\n{"title": "b"}\n', {}, "jsonl"),
    (b'{"title": "a"}', {}, "jsonl"),
    (b'{"title": "a"}', {"content_type": "application/ninjs+json"}, "ninjs"),
    (b"Kop\nMOSKOU (ANP) - Tekst.", {"filename": "page.txt"}, "listing"),
])
def test_detect_format(data, kw, expected):
    assert detect_format(data, **kw) == expected


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "unknown format: empty document"),
    (b"\x00\x01\x02\x03binary", "unknown format: binary data"),
    (b"<svg/>", "unknown format: XML with an unknown root element"),
])
def test_detect_format_refuses(data, reason):
    with pytest.raises(InvalidItem) as info:
        detect_format(data)
    assert info.value.reason == reason


def test_unknown_and_empty_documents_are_errors_not_exceptions():
    assert split(b"\x00\x01binary").errors == [("unknown format: binary data", b"\x00\x01binary")]
    assert split(b"  ").errors == [("empty document", b"  ")]
    assert split(b"x", "pdf").errors[0][0] == "unknown format: 'pdf'"


def test_truncated_rss_keeps_complete_items():
    data = (FIXTURES / "rss-cdata-namespaces.xml").read_bytes()
    cut = data[: data.index(b"<title>No date")]
    result = split(cut)
    assert [i.key for i in result.items] == ["urn:example:wire:1", "https://example.org/news/2"]
    assert result.errors == [("truncated <item>: no closing tag", cut[cut.rindex(b"<item>"):])]
    assert result.notes and result.notes[0].startswith("malformed XML")
    assert b'xmlns:dc="http://purl.org/dc/elements/1.1/"' in result.items[1].payload
    assert b'xml:lang="en-gb"' in result.items[0].payload


def test_one_broken_rss_item_does_not_lose_the_others():
    data = (FIXTURES / "rss-cdata-namespaces.xml").read_bytes()
    broken = data.replace(b"<title>No date on this one</title>", b"<title>No date <b>on</title>")
    result = split(broken)
    assert len(result.items) == 2 and len(result.errors) == 1
    assert result.errors[0][0].startswith("<item> malformed XML")


def test_entity_bomb_document_is_refused_and_independent_items_recovered():
    bomb = (b'<!DOCTYPE rss [<!ENTITY a "aaaa">]><rss><channel><item><title>&a;</title></item>'
            b'<item><guid>ok</guid><title>Plain &amp; safe</title></item></channel></rss>')
    result = split(bomb, "rss")
    assert result.errors == [
        ("document refused: XML entity declarations refused (entity expansion / XXE)", bomb),
        ("<item> depends on the refused DTD (a)", b"<item><title>&a;</title></item>"),
    ]
    assert [i.key for i in result.items] == ["ok"]
    assert b"Plain &amp; safe" in result.items[0].payload and b"ENTITY" not in result.items[0].payload


def test_truncated_ninjs_array_keeps_complete_elements():
    data = b'[{"uri": "a", "headline": "A"}, {"uri": "b", "headline": "B"}, {"uri": "c", "head'
    result = split(data)
    assert [i.key for i in result.items] == ["a", "b"]
    (reason, original), = result.errors
    assert original == data
    assert reason.startswith("malformed JSON array element: Unterminated string")
    assert reason.endswith("after 2 elements")
    cut = split(b'[{"uri": "a", "headline": "A"}, ')
    assert cut.errors[0][0] == "truncated JSON array after 1 elements"


def test_newsml_items_are_serialised_alone_with_their_namespace():
    result = split((FIXTURES / "newsml-inlinexml.xml").read_bytes())
    assert [i.key for i in result.items] == ["urn:newsml:example.com:20260124:g2a",
                                            "urn:newsml:example.com:20260124:g2b"]
    assert all(i.payload.startswith(b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"')
               for i in result.items)
    assert all(i.meta.format == "newsml" for i in result.items)


def test_jsonl_lines_are_published_untouched():
    result = split((FIXTURES / "backfill.jsonl").read_bytes())
    lines = (FIXTURES / "backfill.jsonl").read_bytes().splitlines()
    assert [i.payload for i in result.items] == [lines[0], lines[1], lines[3]]
    assert [i.key for i in result.items] == ["bf-1", "42", "bf-3"]


def test_meta_carries_the_fetch_context():
    result = split(b'{"title": "a"}', url="https://x/y.jsonl", content_type="application/x-ndjson",
                   source_tz="Europe/Brussels")
    meta = result.items[0].meta
    assert (meta.source, meta.format, meta.fetched_at, meta.url, meta.content_type, meta.source_tz) \
        == ("test", "jsonl", FETCHED, "https://x/y.jsonl", "application/x-ndjson", "Europe/Brussels")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
       st.sampled_from([None, "listing", "rss", "atom", "ninjs", "newsml", "jsonl", "nope"]))
def test_split_document_is_total(data, fmt):
    result = split(data, fmt)
    assert isinstance(result, SplitResult)
    for reason, original in result.errors:
        assert isinstance(reason, str) and reason and isinstance(original, bytes)
    for item in result.items:
        assert item.key and isinstance(item.payload, bytes)
