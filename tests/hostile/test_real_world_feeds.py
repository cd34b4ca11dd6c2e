"""Shapes met in real published feeds (feedparser's test corpus, IPTC's ninjs and NewsML-G2
examples) that the parsers got wrong: each fixture is a small, written-down version of one
such shape, run through ``wirestream parse``'s code."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson

from tests.hostile.support import FETCHED, route, run_wirestream

NINJS_3 = {
    "uri": "urn:example:ninjs3:1", "type": "text", "version": "2",
    "firstCreated": "2019-11-14T16:17:53Z", "versionCreated": "2019-11-14T17:00:00Z",
    "pubStatus": "withheld", "embargoedUntil": "2019-11-14T18:00:00Z",
    "language": "de", "headlines": [{"role": "main", "value": "Faktencheck zum Elfmeter"}],
    "bodies": [{"role": "html", "contentType": "text/html",
                "value": '<section class="main"><p>Der Trainer sprach von einem '
                         "<b>Skandal</b>.</p></section>"}],
    "infoSources": [{"name": "dpa", "role": "source"}],
}


def test_ninjs_3_camel_case_names_are_read(tmp_path: Path):
    """ninjs 3.x spells ``firstCreated``/``pubStatus``/``contentType``/``infoSources`` in
    camelCase: read by the 2.x names the item was published at the fetch time, a withheld
    item was usable, and the HTML body kept its tags."""
    path = tmp_path / "item.ninjs.json"
    path.write_bytes(orjson.dumps(NINJS_3))
    [record], dead = route(path)
    assert dead == []
    assert record["published_at"] == "2019-11-14T16:17:53Z"
    assert record["updated_at"] == "2019-11-14T17:00:00Z"
    assert record["status"] == "withdrawn"
    assert record["embargoed_until"] == "2019-11-14T18:00:00Z"
    assert record["body"] == "Der Trainer sprach von einem Skandal."
    assert record["agencies"] == ["DPA"]


def test_a_nitf_body_is_read_as_markup_not_kept_as_xml(tmp_path: Path):
    """A ninjs body of content type NITF is a whole XML document: its declaration and
    DOCTYPE were kept in the body text."""
    item = {"uri": "u-nitf", "headlines": [{"role": "main", "value": "Kop"}],
            "firstCreated": "2023-10-08T10:00:00Z",
            "bodies": [{"role": "nitf", "contentType": "text/vnd.IPTC.NITF",
                        "value": '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nitf '
                                 'PUBLIC "-//IPTC//DTD NITF 3.6//EN" "nitf.dtd">'
                                 "<nitf><body><body.content><p>Eerste zin.</p></body.content>"
                                 "</body></nitf>"}]}
    path = tmp_path / "nitf.ninjs.json"
    path.write_bytes(orjson.dumps(item))
    [record], dead = route(path)
    assert dead == []
    assert record["body"] == "Eerste zin."


def _rss(*items: str, head: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return (f'{head}<rss version="2.0"><channel><title>t</title><language>de</language>'
            + "".join(items) + "</channel></rss>")


def _item(n: int, pub: str) -> str:
    return (f"<item><guid>g{n}</guid><title>Meldung {n}</title>"
            f"<description>Text {n}.</description><pubDate>{pub}</pubDate></item>")


def test_rfc822_zone_names_and_colon_offsets_are_read_not_dropped(tmp_path: Path):
    """email.utils drops a zone it does not know (``CET``, ``+01:00``, ``GMT+2``) and returns
    a naive time, which was read in the source's zone: hours off, silently. Known names and
    offsets are now read; an unknown name is a dead letter that says so."""
    path = tmp_path / "zones.rss"
    path.write_text(_rss(_item(1, "Sat, 24 Jan 2026 17:04:00 CET"),
                         _item(2, "Sat, 24 Jan 2026 17:04:00 +01:00"),
                         _item(3, "Sat, 24 Jan 2026 17:04:00 GMT+2"),
                         _item(4, "Sat, 24 Jan 2026 17:04:00 CEST"),
                         _item(5, "Sat, 24 Jan 2026 17:04:00 XYZT"),
                         _item(6, "Sun Jan 25 16:29:06 2026")), encoding="utf-8")
    run = run_wirestream("parse", "--fetched-at", FETCHED, "--source-tz", "America/New_York",
                         str(path), tmp=tmp_path)
    assert run.code == 2, run.stderr  # one dead letter
    assert "Traceback" not in run.stderr
    published = {r["guid"]: r["published_at"] for r in run.records}
    assert published == {"g1": "2026-01-24T16:04:00Z", "g2": "2026-01-24T16:04:00Z",
                         "g3": "2026-01-24T15:04:00Z", "g4": "2026-01-24T15:04:00Z",
                         "g6": "2026-01-25T21:29:06Z"}  # asctime: local, in --source-tz
    [dead] = run.dead_letters
    assert "unknown time zone 'XYZT'" in dead


def test_cp1252_quotes_in_a_latin1_feed_are_quotes_not_controls(tmp_path: Path):
    """A feed declaring iso-8859-1 that writes cp1252 quotes (0x92, 0x93, 0x94), and one that
    carries the same quote as U+0092 in UTF-8: both gave C1 control characters in the
    headline and body (mojibake), where the quote was meant."""
    latin1 = tmp_path / "latin1.rss"
    latin1.write_bytes(_rss(
        "<item><guid>l1</guid><title>Don\x92t panic</title>"
        "<description>He said \x93wait\x94 \x96 twice.</description></item>",
        head="<?xml version='1.0' encoding='iso-8859-1'?>").encode("latin-1"))
    utf8 = tmp_path / "utf8.rss"
    utf8.write_text(_rss("<item><guid>u1</guid><title>Don\u0092t panic</title></item>"),
                    encoding="utf-8")
    records, dead = route(latin1)
    more, dead_more = route(utf8)
    assert dead == dead_more == []
    assert [(r["headline"], r["body"]) for r in records + more] == [
        ("Don\u2019t panic", "He said \u201cwait\u201d \u2013 twice."), ("Don\u2019t panic", "")]


def test_an_extension_element_does_not_stand_in_for_the_items_own(tmp_path: Path):
    """Children were matched by local name alone, first wins: a photo's ``media:title`` or a
    podcast's ``itunes:summary`` written before the item's ``title``/``description`` became
    the headline and body. An extension still fills in when the item has no such element."""
    path = tmp_path / "media.rss"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>t</title>'
        "<item><guid>m1</guid><media:title>Foto: brandweer bij de brand</media:title>"
        "<itunes:summary>Podcastaflevering.</itunes:summary>"
        "<title>Grote brand in haven</title><description>De brandweer blust.</description>"
        "</item><item><guid>m2</guid><media:title>Alleen een bijschrift</media:title></item>"
        "</channel></rss>", encoding="utf-8")
    records, dead = route(path)
    assert dead == []
    assert [(r["headline"], r["body"]) for r in records] == [
        ("Grote brand in haven", "De brandweer blust."), ("Alleen een bijschrift", "")]


def test_an_atom_text_construct_of_type_text_keeps_its_angle_brackets(tmp_path: Path):
    """``type="text"`` says the title is plain text: ``&lt;AAPL.O&gt;`` is a ticker in angle
    brackets, not a tag, and was dropped. ``type="html"`` is still read as HTML."""
    path = tmp_path / "ticker.atom"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>t</title><entry><id>a1</id>"
        '<title type="text">Apple &lt;AAPL.O&gt; shares rise</title>'
        '<content type="text">Up 3 % &lt;b&gt;today&lt;/b&gt;.</content>'
        "<updated>2026-01-24T10:00:00Z</updated></entry><entry><id>a2</id>"
        '<title type="html">Apple &lt;b&gt;rises&lt;/b&gt;</title>'
        "<updated>2026-01-24T11:00:00Z</updated></entry></feed>", encoding="utf-8")
    records, dead = route(path)
    assert dead == []
    assert [(r["headline"], r["body"]) for r in records] == [
        ("Apple <AAPL.O> shares rise", "Up 3 % <b>today</b>."), ("Apple rises", "")]


def test_a_bare_ampersand_in_a_link_does_not_lose_the_item(tmp_path: Path):
    """An unescaped ``&`` (a link's query string, "AT&T") is not XML; the item was a dead
    letter ("EntityRef: expecting ';'"). It is read as HTML reads it, next to an HTML entity
    in a neighbour, which was already recovered."""
    path = tmp_path / "amp.rss"
    path.write_text(_rss(
        "<item><guid>b1</guid><title>AT&T buys a rival</title>"
        "<link>http://example.org/story?id=1&ref=rss</link></item>",
        "<item><guid>b2</guid><title>Caf&eacute; closes</title></item>"), encoding="utf-8")
    records, dead = route(path)
    assert dead == []
    assert [r["headline"] for r in records] == ["AT&T buys a rival", "Café closes"]
    assert records[0]["url"] == "http://example.org/story?id=1&ref=rss"


def test_an_xml_document_of_an_unknown_kind_is_not_read_as_a_listing_page(tmp_path: Path):
    """NewsML 1.x (Business Wire still sends it) has a ``<p>`` in its body, so an unknown
    root with a ``<p>`` anywhere was taken for a listing page (IPTC's Business Wire sample
    became an item headlined "./NewsComponent/Role"). It is an unknown format: a dead
    letter, exit 2."""
    path = tmp_path / "newsml1.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<NewsML Version="1.2"><NewsEnvelope>'
        "<DateAndTime>20130516T040100+0000</DateAndTime></NewsEnvelope><NewsItem>"
        '<NewsComponent><Role FormalName="Main"/><ContentItem><DataContent><nitf><body>'
        "<p>Company announces results.</p></body></nitf></DataContent></ContentItem>"
        "</NewsComponent></NewsItem></NewsML>", encoding="utf-8")
    run = run_wirestream("parse", "--fetched-at", FETCHED, str(path), tmp=tmp_path)
    assert run.code == 2
    assert run.records == []
    assert run.dead_letters == [f"{path}: unknown format: XML with an unknown root element"]


def test_dates_with_less_precision_are_read_not_dead_lettered(tmp_path: Path):
    """W3C-DTF (the format of ``dc:date``) allows "2003-12" and "2003"; some RSS feeds give
    a ``pubDate`` without a clock. Each was "unparseable" and cost the item."""
    path = tmp_path / "days.rss"
    path.write_text(_rss(_item(1, "Thu, 01 Jan 2004"),
                         "<item><guid>g2</guid><title>Meldung 2</title>"
                         "<dc:date xmlns:dc='http://purl.org/dc/elements/1.1/'>2003-12</dc:date>"
                         "</item>",
                         _item(3, "Sat, 24 Jan 2026 17:04:00 +0000")), encoding="utf-8")
    records, dead = route(path)
    assert dead == []
    assert {r["guid"]: r["published_at"] for r in records} == {
        "g1": "2004-01-01T00:00:00Z", "g2": "2003-12-01T00:00:00Z", "g3": "2026-01-24T17:04:00Z"}


def test_a_control_character_in_a_title_does_not_lose_the_item(tmp_path: Path):
    """A backspace pasted into a title is not allowed in XML: the whole feed failed to parse
    and that item was a dead letter for one invisible byte (a bare "&" in the same feed
    too: the repairs add up)."""
    path = tmp_path / "ctrl.rss"
    path.write_text(_rss("<item><guid>c1</guid><title>Kabinet\x08 valt</title></item>",
                         "<item><guid>c2</guid><title>Q&A over de val</title></item>"),
                    encoding="utf-8")
    records, dead = route(path)
    assert dead == []
    assert [r["headline"] for r in records] == ["Kabinet valt", "Q&A over de val"]


def test_base64_atom_content_is_decoded_or_left_out_never_kept_as_text(tmp_path: Path):
    """Atom 0.3 ``mode="base64"`` and Atom 1.0 content of a media type that is neither text
    nor XML are base64: the encoded letters became the headline, and an embedded image
    became the body. Text is decoded; an image gives no text (the summary is the body); a
    title of another type that is no base64 stays as it is."""
    title = base64.b64encode(b"Kabinet <b>valt</b>").decode()
    image = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256))).decode()
    path = tmp_path / "b64.atom"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://purl.org/atom/ns#" '
        'version="0.3"><title>t</title><entry><id>e1</id>'
        f'<title type="text/html" mode="base64">{title}</title>'
        f'<content type="image/png" mode="base64">{image}</content>'
        "<summary>Het kabinet is gevallen.</summary>"
        "<issued>2026-01-24T10:00:00Z</issued></entry><entry><id>e2</id>"
        '<title type="application/x-custom">Gewone woorden</title>'
        "<issued>2026-01-24T11:00:00Z</issued></entry></feed>", encoding="utf-8")
    records, dead = route(path)
    assert dead == []
    assert [(r["headline"], r["body"]) for r in records] == [
        ("Kabinet valt", "Het kabinet is gevallen."), ("Gewone woorden", "")]
