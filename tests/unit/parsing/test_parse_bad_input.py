"""Bad input never crashes and never disappears: InvalidItem with a clear one-line reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from processors.parsing import parse_raw_item
from schemas.models import InvalidItem, RawMeta

NOW = datetime(2026, 1, 24, 17, tzinfo=UTC)


def meta(fmt: str, **kw) -> RawMeta:
    return RawMeta(source=kw.pop("source", "test"), format=fmt,
                   fetched_at=kw.pop("fetched_at", "2026-01-24T18:00:00+01:00"), **kw)


def reason(payload: bytes, fmt: str, **kw) -> str:
    with pytest.raises(InvalidItem) as info:
        parse_raw_item(payload, meta(fmt), now=NOW, **kw)
    assert "\n" not in info.value.reason
    return info.value.reason


BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><item><title>&lol2;</title></item>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE item [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<item><title>&xxe;</title></item>"""
EXTERNAL_DTD = b"""<!DOCTYPE item SYSTEM "http://example.org/evil.dtd"><item><title>x</title></item>"""


@pytest.mark.parametrize(("payload", "fmt", "expected"), [
    (b"", "rss", "empty item"),
    (b"   \n\t ", "listing", "empty item"),
    (BOMB, "rss", "XML entity declarations refused (entity expansion / XXE)"),
    (XXE, "newsml", "XML entity declarations refused (entity expansion / XXE)"),
    (EXTERNAL_DTD, "atom", "XML DTD with internal subset or external id refused"),
    (b"<item><title>cut off", "rss", "malformed XML: Premature end of data"),
    (b'{"headline": "cut', "ninjs", "malformed JSON: unexpected end of data"),
    (b"[1, 2]", "ninjs", "ninjs item is a JSON list, not an object"),
    (b'"just a string"', "jsonl", "JSON line is a str, not an object"),
    (b"<channel><title>x</title></channel>", "rss", "rss item is a <channel>, not an <item>/<entry>"),
    (b"<packageItem/>", "newsml", "NewsML item is a <packageItem>, not a <newsItem>"),
    (b"hello", "pdf", "unknown format: 'pdf'"),
    (b"<item><title></title></item>", "rss", "empty item: no headline and no body text"),
    (b'{"headline": "x", "versioncreated": "next tuesday"}', "ninjs",
     "unparseable versioncreated date 'next tuesday'"),
    (b"<item><title>x</title><pubDate>Blursday</pubDate></item>", "rss",
     "unparseable pubDate date 'Blursday'"),
    (b"14 minuten geleden", "listing", "empty item: no headline and no body text"),
])
def test_reasons(payload, fmt, expected):
    assert reason(payload, fmt).startswith(expected)


def test_too_large():
    assert reason(b"x" * 101, "listing", max_bytes=100) == "item of 101 bytes exceeds max_bytes=100"


def test_beyond_future_tolerance():
    payload = b'{"headline": "x", "body": "y", "published_at": "2026-01-24T17:20:00Z"}'
    assert reason(payload, "jsonl") == (
        "published_at 2026-01-24T17:20:00Z is beyond the future tolerance "
        "(900 s after 2026-01-24T17:00:00Z)")
    ok = parse_raw_item(payload, meta("jsonl"), now=NOW, future_tolerance_s=3600)
    assert ok.published_at == "2026-01-24T17:20:00Z"


def test_bad_fetched_at_and_time_zone():
    with pytest.raises(InvalidItem, match="unparseable fetched_at 'yesterday'"):
        parse_raw_item(b"Kop\nTekst.", meta("listing", fetched_at="yesterday"), now=NOW)
    with pytest.raises(InvalidItem, match="unknown time zone 'Mars/Olympus'"):
        parse_raw_item(b"Kop\nTekst.", meta("listing", source_tz="Mars/Olympus"), now=NOW)


def test_invalid_utf8_is_read_with_cp1252_fallback():
    item = parse_raw_item(b"Caf\xe9 opent\nHet caf\xe9 in Utrecht opent zondag.", meta("listing"),
                          now=NOW)
    assert item.headline == "Café opent" and item.body == "Het café in Utrecht opent zondag."
    xml = parse_raw_item(b'<?xml version="1.0" encoding="utf-8"?><item><title>Caf\xe9</title></item>',
                         meta("rss"), now=NOW)
    assert xml.headline == "Café"
    js = parse_raw_item(b'{"headline": "Caf\xe9 in Gent"}', meta("jsonl"), now=NOW)
    assert js.headline == "Café in Gent"


def test_html_entities_in_xml_are_read_as_html():
    item = parse_raw_item(b"<item><title>Caf&eacute; &amp; bar&nbsp;open</title></item>",
                          meta("rss"), now=NOW)
    assert item.headline == "Café & bar open"
