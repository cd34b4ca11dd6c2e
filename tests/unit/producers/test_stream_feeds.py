"""Big XML feeds cut into runs of whole items while they stream (``XmlItemRuns``): every item
comes out once and byte-identical to the whole-document split, wherever the blocks are cut;
oversize and truncated items are refusals of their own; memory stays one run plus one item;
hostile inputs are scanned in linear time; a feed that cannot be cut is refused, saying why."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producers.formats import detect_format
from producers.formats.base import DocumentContext
from producers.formats.xmlfeeds import split_xml
from producers.formats.xmlstream import NotStreamable, XmlItemRuns, stream_encoding_problem
from producers.limits import ProducerLimits
from producers.pipeline import PipelineOptions, prepare_document
from producers.sources.base import Document
from producers.sources.files import _stream_documents, iter_file_documents

FETCHED = "2026-01-24T18:00:00+00:00"
ITEM = {"rss": "item", "atom": "entry", "newsml": "newsItem"}


def ctx(fmt: str) -> DocumentContext:
    return DocumentContext("src", fmt, FETCHED)


def rss_item(n: int, body: bytes = b"") -> bytes:
    return (b"<item><guid>g%d</guid><title>Titel %d</title><dc:creator>R</dc:creator>"
            b"<pubDate>Sat, 24 Jan 2026 %02d:00:00 +0000</pubDate>"
            b"<description><![CDATA[<p>tekst %d</p> </item> <item>]]></description>%s</item>"
            % (n, n, n % 24, n, body))


def rss(*items: bytes, tail: bytes = b"</channel></rss>") -> bytes:
    return (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
            b"<!-- <item>not one</item> --><language>nl</language>\n" + b"\n".join(items) + tail)


def atom(*entries: bytes) -> bytes:
    return (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de"><title>F</title>'
            + b"".join(entries) + b"<link href='x'/></feed>")


def atom_entry(n: int) -> bytes:
    return b"<entry><id>e%d</id><title>E %d</title><updated>2026-01-24T10:00:%02dZ</updated></entry>" % (
        n, n, n % 60)


def newsml(*items: bytes) -> bytes:
    return (b'<?xml version="1.0"?><newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">'
            b"<header><sent>2026-01-24T10:00:00Z</sent></header><itemSet>"
            + b"".join(items) + b"</itemSet></newsMessage>")


def newsml_item(n: int) -> bytes:
    return (b'<newsItem guid="urn:n:%d" version="1"><itemMeta><versionCreated>2026-01-24T10:00:00Z'
            b"</versionCreated></itemMeta><contentSet><inlineXML><p>x %d</p></inlineXML>"
            b"</contentSet></newsItem>" % (n, n))


FEEDS = {
    "rss": lambda n: rss(*(rss_item(i) for i in range(n))),
    "atom": lambda n: atom(*(atom_entry(i) for i in range(n))),
    "newsml": lambda n: newsml(*(newsml_item(i) for i in range(n))),
}


def pieces(data: bytes, fmt: str, cuts: list[int] | int, *, run_bytes: int = 300,
           max_item: int = 4000, header_limit: int = 4000) -> list:
    """The pieces of ``data`` fed in blocks: at the given cut positions, or of a fixed size."""
    runs = XmlItemRuns(fmt, run_bytes=run_bytes, max_item_bytes=max_item, header_limit=header_limit)
    if isinstance(cuts, int):
        cuts = list(range(cuts, len(data), cuts))
    bounds = [0, *sorted(set(cuts)), len(data)]
    out = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        out += runs.feed(data[a:b])
    return out + runs.close()


def streamed_items(ps, fmt: str) -> list[tuple[str, bytes]]:
    items = []
    for p in ps:
        assert p.refused is None, p.refused
        result = split_xml(p.data, ctx(fmt))
        assert not result.errors and not result.notes, (result.errors, result.notes)
        items += [(i.key, i.payload) for i in result.items]
    return items


def whole_items(data: bytes, fmt: str) -> list[tuple[str, bytes]]:
    return [(i.key, i.payload) for i in split_xml(data, ctx(fmt)).items]


@pytest.mark.parametrize("fmt", FEEDS)
def test_every_item_once_and_identical_at_every_cut_position(fmt):
    data = FEEDS[fmt](6)
    expected = whole_items(data, fmt)
    assert len(expected) == 6
    for cut in range(1, len(data)):
        ps = pieces(data, fmt, [cut])
        assert len(ps) > 1  # runs of about run_bytes, not one document
        assert streamed_items(ps, fmt) == expected, cut


@pytest.mark.parametrize("fmt", FEEDS)
def test_fed_byte_by_byte(fmt):
    data = FEEDS[fmt](5)
    assert streamed_items(pieces(data, fmt, 1), fmt) == whole_items(data, fmt)


@settings(max_examples=60, deadline=None)
@given(fmt=st.sampled_from(sorted(FEEDS)), n=st.integers(1, 25), run_bytes=st.integers(1, 3000),
       cuts=st.lists(st.integers(0, 10_000), max_size=30), block=st.integers(1, 700))
def test_random_blocks_and_run_sizes_give_the_whole_document_items(fmt, n, run_bytes, cuts, block):
    data = FEEDS[fmt](n)
    expected = whole_items(data, fmt)
    for c in (cuts, block):
        got = streamed_items(pieces(data, fmt, c, run_bytes=run_bytes), fmt)
        assert got == expected


def test_runs_carry_the_header_namespaces_and_language():
    ps = pieces(rss(*(rss_item(i) for i in range(3))), "rss", 7, run_bytes=1)
    assert len(ps) == 3
    for p in ps:
        assert p.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:dc=')
        assert p.data.endswith(b"</item></channel></rss>")
    items = split_xml(ps[1].data, ctx("rss")).items
    assert items[0].payload.startswith(b'<item xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="nl">')


def test_oversize_item_is_refused_with_its_prefix_and_size_and_neighbours_go_on():
    big = rss_item(2, b"<x>" + b"y" * 10_000 + b"</x>")
    data = rss(rss_item(1), big, rss_item(3))
    ps = pieces(data, "rss", 64, max_item=1000)
    refused = [p for p in ps if p.refused]
    assert len(refused) == 1
    (r,) = refused
    start = data.index(big)
    assert r.refused == f"<item> at byte {start}: item of {len(big)} bytes exceeds max_item_bytes=1000"
    assert r.data == big[:1000] and r.size == len(big) and r.offset == start
    assert [k for k, _ in streamed_items([p for p in ps if not p.refused], "rss")] == ["g1", "g3"]


def test_truncated_last_item_is_a_refusal_not_lost():
    data = rss(rss_item(1), rss_item(2), tail=b"\n<item><guid>g3</guid><title>hal")
    ps = pieces(data, "rss", 10)
    *runs, last = ps
    assert last.refused == f"truncated <item> at byte {data.rindex(b'<item>')}: no closing tag"
    assert last.data == data[data.rindex(b"<item>"):] and last.size == len(last.data)
    assert [k for k, _ in streamed_items(runs, "rss")] == ["g1", "g2"]


def test_truncated_oversize_item_keeps_only_its_prefix():
    data = rss(rss_item(1), tail=b"<item><guid>g2</guid><title>" + b"z" * 50_000)
    *runs, last = pieces(data, "rss", 4096, max_item=1000)
    assert last.refused.startswith("truncated <item>") and len(last.data) == 1000
    assert last.size == 50_000 + len(b"<item><guid>g2</guid><title>")
    assert [k for k, _ in streamed_items(runs, "rss")] == ["g1"]


def test_memory_is_one_run_plus_one_item():
    run_bytes, max_item, block = 20_000, 5_000, 4096
    items = [rss_item(i, b"<x>" + b"p" * (i % 7) * 1000 + b"</x>") for i in range(400)]
    data = rss(*items)
    runs = XmlItemRuns("rss", run_bytes=run_bytes, max_item_bytes=max_item, header_limit=max_item)
    peak, out = 0, []
    for i in range(0, len(data), block):
        out += runs.feed(data[i : i + block])
        peak = max(peak, len(runs.buf))
    out += runs.close()
    assert len(data) > 10 * peak
    assert peak < run_bytes + max_item + 2 * block + (1 << 16), peak
    oversize = [n for n, item in enumerate(items) if len(item) > max_item]
    assert [p.offset for p in out if p.refused] == [data.index(items[n]) for n in oversize]
    assert len(streamed_items([p for p in out if not p.refused], "rss")) == 400 - len(oversize) > 250


@pytest.mark.parametrize("tail", [
    b"<item " * 200_000,  # one unclosed start tag to the end
    b'<item xmlns="' * 100_000,
    b"<!--" * 200_000,  # an unclosed comment
    b"<![CDATA[" * 100_000,
    b"</item>" * 200_000,  # stray end tags
    b"<item>" * 200_000,  # 200,000 nested, unclosed items
    b"<" * 1_000_000,
])
def test_hostile_tails_are_scanned_in_linear_time(tail):
    data = rss(rss_item(1)) + tail
    started = time.monotonic()
    ps = pieces(data, "rss", 65536, run_bytes=100, max_item=10_000)
    assert time.monotonic() - started < 5
    assert [k for k, _ in streamed_items([p for p in ps if not p.refused], "rss")] == ["g1"]
    assert len([p for p in ps if p.refused]) <= 1


def test_hostile_item_starts_across_every_block_are_linear():
    data = rss(rss_item(1), b"<item " * 200_000)
    started = time.monotonic()
    ps = pieces(data, "rss", 7, run_bytes=100, max_item=10_000)
    assert time.monotonic() - started < 10
    assert ps[-1].refused.startswith("truncated <item>") and len(ps[-1].data) == 10_000


@pytest.mark.parametrize(("data", "why"), [
    (b"<rss><channel>" + b"<title>t</title>" * 1000, "no <item> element starts in its first 4000 bytes"),
    (b'<!DOCTYPE rss [<!ENTITY a "b">]><rss><channel>' + rss_item(1), "its header is refused (XML entity"),
    (b'<!DOCTYPE rss SYSTEM "x" [<!ELEMENT rss ANY>]><rss><channel>' + rss_item(1),
     "its header is refused (XML DTD"),
])
def test_a_feed_that_cannot_be_cut_safely_is_not_streamed(data, why):
    with pytest.raises(NotStreamable) as info:
        pieces(data, "rss", 100)
    assert info.value.reason.startswith(why)


def test_encodings_that_are_not_ascii_compatible_are_not_streamed():
    assert "UTF-16" in stream_encoding_problem(b"\xff\xfe<\x00r\x00")
    assert "utf-16" in stream_encoding_problem(b'<?xml version="1.0" encoding="utf-16"?><rss>')
    assert stream_encoding_problem(b'<?xml version="1.0" encoding="ISO-8859-1"?><rss>') is None
    assert stream_encoding_problem(b'<?xml version="1.0" encoding="x-nonesuch"?><rss>') is None


# -- through the reader and the pipeline -------------------------------------------------
LIMITS = ProducerLimits(max_item_bytes=2000, max_document_bytes=5000, max_message_bytes=80_000)


def read(data: bytes, name: str = "archive.rss", fmt: str | None = None) -> list[Document]:
    base = Document(data=b"", name=name, fetched_at=FETCHED, fmt=fmt)
    return list(_stream_documents(io.BytesIO(data), base, LIMITS))


def test_a_big_feed_file_is_read_as_runs_and_prepared_like_the_whole_document(tmp_path):
    data = rss(*(rss_item(i) for i in range(200)))
    path = tmp_path / "archive.rss"
    path.write_bytes(data)
    docs = list(iter_file_documents(path, FETCHED, limits=LIMITS))
    assert len(docs) > 5 and all(d.fmt == "rss" and not d.refused for d in docs)
    assert all(len(d.data) <= LIMITS.xml_run_bytes + 2 * LIMITS.max_item_bytes for d in docs)
    opts = PipelineOptions(limits=LIMITS)
    streamed = [(i.key, i.payload) for d in docs for i in prepare_document(d, opts).items]
    big = ProducerLimits(max_item_bytes=2000, max_document_bytes=1 << 30, max_message_bytes=80_000)
    (whole_doc,) = iter_file_documents(path, FETCHED, limits=big)
    whole = [(i.key, i.payload) for i in prepare_document(whole_doc, PipelineOptions(limits=big)).items]
    assert sorted(streamed) == sorted(whole) and len(whole) == 200


def test_each_run_is_published_oldest_first():
    data = rss(*(rss_item(i) for i in range(23, -1, -1)))  # newest first
    for d in read(data):
        keys = [i.key for i in prepare_document(d, PipelineOptions(limits=LIMITS)).items]
        assert keys == sorted(keys, key=lambda k: int(k[1:]))


def test_refused_items_are_dead_letters_with_their_exact_size():
    big = rss_item(5, b"<x>" + b"q" * 5000 + b"</x>")
    data = rss(*(rss_item(i) for i in range(5)), big, *(rss_item(i) for i in range(6, 40)),
               tail=b"<item><guid>cut")
    docs = read(data)
    letters = [dl for d in docs for dl in prepare_document(d, PipelineOptions(limits=LIMITS)).dead_letters]
    reasons = [dl.reason for dl in letters]
    assert len(reasons) == 2
    assert reasons[0].startswith(f"<item> at byte {data.index(big)}: item of {len(big)} bytes exceeds "
                                 "max_item_bytes=2000; original of "
                                 f"{len(big)} bytes truncated to its first 2000")
    assert reasons[1].startswith("truncated <item> at byte") and letters[1].original == b"<item><guid>cut"
    keys = {i.key for d in docs for i in prepare_document(d, PipelineOptions(limits=LIMITS)).items}
    assert keys == {f"g{i}" for i in range(40) if i != 5}


@pytest.mark.parametrize(("data", "name", "why"), [
    (b"word " * 2000, "page.txt", "a listing document has no item boundaries to cut at"),
    (b"[" + b'{"uri": "u", "headline": "h"},' * 300 + b"]", "a.ninjs", "a ninjs document has no item"),
    (b"\xff\xfe" + "<rss><channel><item/>".encode("utf-16-le") * 300, "a.rss", "UTF-16/UTF-32 text"),
    (b"<rss><channel>" + b"<title>t</title>" * 400, "a.rss", "no <item> element starts in its first"),
])
def test_documents_that_are_not_streamed_are_refused_saying_why(data, name, why):
    (d,) = read(data, name)
    assert d.refused.startswith("document of more than 5000 bytes exceeds max_document_bytes "
                                f"(WIRESTREAM_MAX_DOCUMENT_BYTES); refused at {name} (not streamed: ")
    assert why in d.refused, d.refused
    assert d.data == data[: len(d.data)] and len(d.data) <= LIMITS.refusal_prefix
    (dl,) = prepare_document(d, PipelineOptions(limits=LIMITS)).dead_letters


def test_a_small_feed_is_still_one_document():
    data = rss(rss_item(1))
    (d,) = read(data)
    assert d.data == data and d.fmt is None and not d.refused


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "formats"
XML_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.xml"))
RDF = (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
       b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
       b'<channel rdf:about="x"><title>T</title><dc:language>fr</dc:language><items><rdf:Seq>'
       b'<rdf:li resource="a"/></rdf:Seq></items></channel>'
       + b"".join(b'<item rdf:about="u%d"><title>I %d</title><link>u%d</link><dc:date>2026-01-2%dT10:00:00Z'
                  b"</dc:date></item>" % (i, i, i, i) for i in range(5))
       + b'<textinput rdf:about="s"><title>S</title></textinput></rdf:RDF>')


@pytest.mark.parametrize("name", [*XML_FIXTURES, "rdf"])
def test_fixture_feeds_streamed_at_every_cut_give_the_whole_document_items(name):
    data = RDF if name == "rdf" else (FIXTURES / name).read_bytes()
    fmt = detect_format(data)
    expected = whole_items(data, fmt)
    assert expected
    for cut in range(1, len(data), max(1, len(data) // 300)):
        assert streamed_items(pieces(data, fmt, [cut], run_bytes=1, max_item=len(data),
                                     header_limit=len(data)), fmt) == expected, cut


def test_an_external_dtd_is_refused_as_in_the_whole_document_and_the_items_go_on():
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
            b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel>'
            b"<title>T</title><language>en-us</language>"
            + b"".join(b"<item><title>T %d</title><link>http://x/%d</link></item>" % (i, i) for i in range(9))
            + b"</channel></rss>")
    whole = split_xml(data, ctx("rss"))
    first, *runs = pieces(data, "rss", 50, run_bytes=100)
    assert first.refused == whole.errors[0][0] == ("document refused: XML DTD with internal subset "
                                                   "or external id refused")
    assert b"<!DOCTYPE" not in b"".join(r.data for r in runs)
    streamed = streamed_items(runs, "rss")
    assert streamed == [(i.key, i.payload) for i in whole.items] and len(streamed) == 9


def test_a_stray_less_than_sign_does_not_swallow_the_next_item():
    data = rss(rss_item(1), b"a << b", rss_item(2))
    keys = [p for p in pieces(data, "rss", 16, run_bytes=1) if not p.refused]
    assert len(keys) == 2  # one run per item: the "<<" opened no tag


def test_quoted_attribute_values_may_hold_greater_than_and_slash():
    """``>`` and ``/>`` are allowed in an attribute value: ``<item about="a/>b">`` is not an
    empty item (it was: every item became malformed once streamed, a dead letter)."""
    items = [rss_item(i).replace(b"<item>", b"<item about=\"http://x/%d/>\" n='1>2'>" % i)
             for i in range(4)]
    data = rss(*items).replace(b"<channel>", b"<channel note=\"a/>b\">")
    expected = whole_items(data, "rss")
    assert len(expected) == 4
    for cut in range(1, len(data)):
        assert streamed_items(pieces(data, "rss", [cut]), "rss") == expected, cut


def test_an_unbalanced_quote_in_a_start_tag_does_not_swallow_the_next_items():
    data = rss(rss_item(1).replace(b"<item>", b'<item a="x>'), rss_item(2), rss_item(3))
    ps = pieces(data, "rss", 64, run_bytes=1)
    good = [p for p in ps if not p.refused and b"<guid>g1<" not in p.data]
    assert [k for k, _ in streamed_items(good, "rss")] == ["g2", "g3"]


@pytest.mark.parametrize("tail", [b'<item a="' + b"x" * 3_000_000, b"<item a='" * 300_000,
                                  b'<channel a="' + b">" * 3_000_000, b"<x a='>'" * 300_000])
def test_long_and_unclosed_quoted_values_are_scanned_in_linear_time(tail):
    data = rss(rss_item(1)) + tail
    for block in (65536, 1001):
        started = time.monotonic()
        ps = pieces(data, "rss", block, run_bytes=100, max_item=10_000)
        assert time.monotonic() - started < 5
        assert [k for k, _ in streamed_items([p for p in ps if not p.refused], "rss")] == ["g1"]
