"""Hostile documents in every format, through the code behind ``wirestream parse`` (the same
read -> split -> order -> parse path the producers and the stream processor take). Each case
asserts where every item went: published (a parsed record) or dead-lettered with its reason.
Good neighbours of a bad item always go on."""

from __future__ import annotations

import pytest

from tests.hostile.support import route

GOOD_A = b"<item><guid>a</guid><title>Good A</title><pubDate>Sat, 24 Jan 2026 10:00:00 +0000</pubDate></item>"
GOOD_B = b"<item><guid>b</guid><title>Good B</title><pubDate>Sat, 24 Jan 2026 09:00:00 +0000</pubDate></item>"


def rss(*items: bytes, prolog: bytes = b"") -> bytes:
    return prolog + b"<rss><channel><language>en</language>" + b"".join(items) + b"</channel></rss>"


def jsonl(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


def line(guid: str, headline: str, when: str = "2026-01-24T10:00:00Z") -> bytes:
    return b'{"guid": "%s", "headline": "%s", "body": "Tekst.", "published_at": "%s"}' % (
        guid.encode(), headline.encode(), when.encode())


LAUGHS = b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
CASES = {
    # name: (file name, bytes, published guids (oldest first), dead-letter reason fragments)
    "billion laughs": ("laughs.rss", rss(b"<item><guid>x</guid><title>&lol9;</title></item>", GOOD_A,
                       prolog=b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + LAUGHS + b"]>"),
                       ["a"], ["document refused: XML entity declarations", "depends on the refused DTD (lol9)"]),
    "quadratic blowup": ("quad.rss", rss(b"<item><guid>q</guid><title>" + b"&big;" * 5000 + b"</title></item>", GOOD_B,
                         prolog=b'<!DOCTYPE rss [<!ENTITY big "' + b"x" * 50000 + b'">]>'),
                         ["b"], ["document refused", "depends on the refused DTD (big)"]),
    "XXE file": ("xxe.rss", rss(b"<item><guid>x</guid><title>&xxe;</title></item>", GOOD_A,
                 prolog=b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
                 ["a"], ["document refused", "depends on the refused DTD (xxe)"]),
    "external DTD": ("ext.rss", rss(GOOD_A, GOOD_B, prolog=b'<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">'),
                     ["b", "a"], ["document refused: XML DTD with internal subset or external id"]),
    "parameter entity": ("pe.atom", b'<!DOCTYPE feed [<!ENTITY % pe SYSTEM "http://127.0.0.1:9/x"> %pe;]>'
                         b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>e1</id><title>Fine</title>'
                         b"<updated>2026-01-24T10:00:00Z</updated></entry><entry><id>e2</id><title>%pe; uses it</title>"
                         b"</entry></feed>", ["e1"], ["document refused", "depends on the refused DTD (pe)"]),
    "NUL in one RSS item": ("nul.rss", rss(GOOD_A, b"<item><guid>n</guid><title>Bad\0item</title></item>", GOOD_B),
                            ["b", "a"], ["<item> malformed XML"]),
    "NUL in one Atom entry": ("nul.atom", b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>Ok</title>'
                              b"<updated>2026-01-24T10:00:00Z</updated></entry><entry><id>2</id><title>N\0</title></entry></feed>",
                              ["1"], ["<entry> malformed XML"]),
    "NUL in one JSON line": ("nul.jsonl", jsonl(line("1", "Een"), b'{"guid": "2", "headline": "Tw\0ee"}', line("3", "Drie")),  # noqa: E501 - a table row
                             ["1", "3"], ["line 2: malformed JSON"]),
    "malformed JSON line": ("bad.jsonl", jsonl(line("1", "Een"), b'{"guid": "2", "headline": ', line("3", "Drie")),
                            ["1", "3"], ["line 2: malformed JSON"]),
    "100k-deep JSON line": ("deep.jsonl", jsonl(line("1", "Een"), b"[" * 100_000 + b"]" * 100_000, line("3", "Drie")),
                            ["1", "3"], ["line 2: malformed JSON"]),
    "100k-deep ninjs document": ("deep.ninjs", b'{"uri": "d", "headline": "H", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # noqa: E501 - a table row
                                 [], ["malformed JSON"]),
    "<item> nested 300 deep": ("nest.rss", rss(GOOD_A, b"<item>" * 300 + b"<title>deep</title>" + b"</item>" * 300, GOOD_B),  # noqa: E501 - a table row
                               ["b", "a"], ["<item> malformed XML"]),
    "NewsML entity bomb": ("bomb.xml", b'<!DOCTYPE newsItem [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                           b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g"><contentMeta>'
                           b"<headline>&b;</headline></contentMeta></newsItem>", [], ["document refused", "depends on the refused DTD"]),  # noqa: E501 - a table row
    "truncated ninjs array": ("cut.ninjs", b'[{"uri": "a", "headline": "A"}, {"uri": "b", "headline": "B"}, {"uri": "c", "head',  # noqa: E501 - a table row
                              ["a", "b"], ["malformed JSON array element: Unterminated string"]),
    "year 9999": ("y9999.jsonl", jsonl(line("1", "Een"), line("9", "Far", "9999-12-31T23:59:59Z")),
                  ["1"], ["item 9: published_at date 9999-12-31 is outside the storable range"]),
    "unparseable date": ("baddate.rss", rss(GOOD_A, b"<item><guid>d</guid><title>T</title><pubDate>yesterday-ish</pubDate></item>"),  # noqa: E501 - a table row
                         ["a"], ["item d: unparseable pubDate date"]),
    "binary file": ("blob.bin", bytes(range(256)) * 40, [], ["unknown format: binary data"]),
    "empty file": ("empty.txt", b"", [], ["empty document"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_document(name, tmp_path):
    filename, data, published, reasons = CASES[name]
    path = tmp_path / filename
    path.write_bytes(data)
    records, dead = route(path)
    assert [r["guid"] for r in records] == published, dead
    assert len(dead) == len(reasons), dead
    for fragment, letter in zip(reasons, dead, strict=True):
        assert fragment in letter, (fragment, letter)
    assert not any("root:" in (r["headline"] + r["body"]) for r in records)  # nothing fetched or read


def test_invalid_utf8_line_is_read_with_the_cp1252_fallback_and_neighbours_go_on(tmp_path):
    """The parser's documented policy for mixed-encoding feeds (tests/unit/parsing): an
    invalid UTF-8 JSON line is read as cp1252, not lost; it cannot harm its neighbours."""
    path = tmp_path / "latin.jsonl"
    path.write_bytes(jsonl(line("1", "Een"), b'{"guid": "2", "headline": "Caf\xe9 \xff\xfe open"}', line("3", "Drie")))
    records, dead = route(path)
    assert [r["guid"] for r in records] == ["1", "3", "2"] and dead == []
    assert records[2]["headline"].startswith("Café")


def test_10k_char_headline_is_published_shortened_for_display(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_bytes(jsonl(line("1", "Kop " * 2500)))
    (record,), dead = route(path)
    assert dead == [] and record["guid"] == "1" and len(record["headline"]) >= 1000


def test_rtl_and_zero_width_characters_are_kept_as_text(tmp_path):
    path = tmp_path / "rtl.rss"
    path.write_bytes(rss("<item><guid>r</guid><title>\u202eevil\u200b zero\u200dwidth</title></item>".encode()))
    (record,), dead = route(path)
    assert dead == [] and "evil" in record["headline"]


def test_script_in_every_displayed_feed_field_is_stripped(tmp_path):
    path = tmp_path / "script.rss"
    path.write_bytes(rss(b"<item><guid>s</guid><title>&lt;script&gt;alert(1)&lt;/script&gt;Kop</title>"
                         b"<description>&lt;script&gt;alert(2)&lt;/script&gt;AMSTERDAM (ANP) - Tekst "
                         b"&lt;img src=x onerror=alert(3)&gt; hier.</description>"
                         b"<author>&lt;script&gt;x&lt;/script&gt;</author></item>"))
    (record,), dead = route(path)
    assert dead == []
    shown = [record["headline"], record["body"], record["dateline"] or "", *record["places"], *record["agencies"]]
    assert not any("<script" in s.lower() or "onerror" in s.lower() for s in shown), shown


def test_script_in_json_lines_fields_is_stripped(tmp_path):
    path = tmp_path / "script.jsonl"
    path.write_bytes(b'{"guid": "j", "headline": "<script>alert(1)</script>Kop", '
                     b'"body": "<script>alert(2)</script>tekst", "dateline": "<script>x</script>AMSTERDAM"}\n')
    (record,), dead = route(path)
    shown = [record["headline"], record["body"], record["dateline"] or "", *record["places"]]
    assert not any("<script" in s.lower() for s in shown), shown


@pytest.mark.parametrize("when", ["Sat, 01 Jan 0000 10:00:00 +0000", "0001-01-01T00:00:00Z"])
def test_dates_in_year_0_and_1_are_dead_letters(tmp_path, when):
    path = tmp_path / "old.rss"
    path.write_bytes(rss(GOOD_A, b"<item><guid>o</guid><title>Old</title><pubDate>%s</pubDate></item>" % when.encode()))
    records, dead = route(path)
    assert [r["guid"] for r in records] == ["a"] and len(dead) == 1


def test_newest_first_feed_is_published_oldest_first_in_every_format(tmp_path):
    cases = {
        "feed.rss": rss(GOOD_A, GOOD_B),  # A 10:00 before B 09:00 in the document
        "feed.jsonl": jsonl(line("a", "A", "2026-01-24T10:00:00Z"), line("b", "B", "2026-01-24T09:00:00Z")),
        "feed.ninjs": b'[{"uri": "a", "headline": "A", "versioncreated": "2026-01-24T10:00:00Z"},'
                      b' {"uri": "b", "headline": "B", "versioncreated": "2026-01-24T09:00:00Z"}]',
        "feed.atom": b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>a</id><title>A</title>'
                     b"<updated>2026-01-24T10:00:00Z</updated></entry><entry><id>b</id><title>B</title>"
                     b"<updated>2026-01-24T09:00:00Z</updated></entry></feed>",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        records, dead = route(tmp_path / name)
        assert [r["guid"] for r in records] == ["b", "a"] and dead == [], name


@pytest.mark.parametrize(("tail", "dead_letters"), [
    (b"<item " * 200000, 1),  # one unclosed <item> up to </channel>: "truncated <item>"
    (b'<item xmlns="' * 100000, 1),
    (b"<!DOCTYPE " * 100000, 1),  # before the item: the document's DTD is refused
])
def test_unclosed_tags_in_a_feed_are_cut_in_linear_time(tmp_path, tail, dead_letters):
    """The item splitter looked for each tag's ">" (and each DOCTYPE's end) with a regex from
    every "<item " (or "<!DOCTYPE"): quadratic, a 1 MB feed held parse/produce/up for minutes."""
    import time

    body = GOOD_A + tail if b"DOCTYPE" not in tail else tail + GOOD_A
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(body))
    started = time.monotonic()
    records, letters = route(path)
    assert time.monotonic() - started < 10
    assert [r["guid"] for r in records] == ["a"]
    assert len(letters) == dead_letters, letters


@pytest.mark.parametrize(("tail", "guids", "reason"), [
    (b"<item " * 200000, ["a"], "truncated <item> at byte"),
    (b'<item xmlns="' * 100000, ["a"], "truncated <item> at byte"),
    (b"<!--" * 200000, ["a"], None),  # an unclosed comment after the item: nothing more
    (b"<![CDATA[" * 100000, ["a"], None),
    (b"<!DOCTYPE " * 100000, [], "(not streamed: no <item> element starts in its first 100000"),
])
def test_unclosed_tags_in_a_streamed_feed_are_cut_in_linear_time(tmp_path, tail, guids, reason):
    """The same hostile tails in a feed past max_document_bytes, cut into runs as it streams:
    every search continues where the last one stopped, also across read blocks."""
    import time

    from producers.limits import ProducerLimits

    body = GOOD_A + tail if b"DOCTYPE" not in tail else tail + GOOD_A
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(body))
    limits = ProducerLimits(max_item_bytes=100_000, max_document_bytes=200_000)
    started = time.monotonic()
    records, letters = route(path, limits=limits)
    assert time.monotonic() - started < 10
    assert [r["guid"] for r in records] == guids
    assert len(letters) == (reason is not None), letters
    assert reason is None or reason in letters[0], letters
