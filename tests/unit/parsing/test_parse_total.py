"""parse_raw_item is total: any bytes, any format, any meta -> WireItem or InvalidItem.

Any other exception escaping it is a bug, so these tests do not catch anything else.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from processors.parsing import FORMATS, parse_raw_item
from schemas.models import InvalidItem, RawMeta
from wirecore.byline import AGENCY_CODES

KNOWN_AGENCIES = frozenset(AGENCY_CODES.values())

NOW = datetime(2026, 1, 24, 17, tzinfo=UTC)
formats = st.sampled_from([*FORMATS, "bogus", ""])
zones = st.sampled_from([None, "Europe/Amsterdam", "America/New_York", "UTC", "Not/AZone", ""])
fetched = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-01-24T18:00:00+01:00", "2026-01-24T17:00:00Z", "garbage", ""]),
)
metas = st.builds(RawMeta, source=st.text(max_size=12), format=formats, fetched_at=fetched,
                  url=st.none() | st.text(max_size=20), source_tz=zones)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["headline", "headlines", "body_text", "body_html", "bodies", "value",
                         "uri", "guid", "id", "versioncreated", "firstcreated", "published_at",
                         "language", "located", "infosource", "infosources", "version", "name",
                         "source", "title", "body", "revision", "agencies", "contenttype",
                         "role", "updated_at", "dateline", "url", "pubstatus", "status",
                         "embargoed", "embargoed_until", "urgency", "subjects", "subject",
                         "body_xhtml", "code", "qcode", "categories"]),
        children, max_size=6),
    max_leaves=20,
)
xml_fragments = st.lists(st.sampled_from([
    "<item>", "</item>", "<entry xmlns='http://www.w3.org/2005/Atom'>", "</entry>",
    "<newsItem guid='g' version='x'>", "</newsItem>", "<title>", "</title>", "<headline>",
    "</headline>", "<description>", "</description>", "<![CDATA[<p>hi</p>]]>", "&amp;",
    "&eacute;", "&bogus;", "<pubDate>", "</pubDate>", "Sat, 24 Jan 2026 17:04:00 +0100",
    "2026-13-45", "<link href='x'/>", "<inlineXML><p>a</p></inlineXML>", "<inlineData>",
    "</inlineData>", "<!DOCTYPE x>", "<!ENTITY a 'b'>", "text", "WASHINGTON (AP) - ", "\xe9",
    "<dc:date xmlns:dc='http://purl.org/dc/elements/1.1/'>", "</dc:date>", "<infoSource/>",
    "<pubStatus qcode='stat:withheld'/>", "<pubStatus qcode='bogus'/>", "<embargoed>",
    "</embargoed>", "0001-01-01T00:00:00Z", "Sat, 01 Jan 0000 00:00:00 +0000", "<urgency>",
    "</urgency>", "<subject qcode='medtop:1'><name>x</name></subject>", "<category term='t'/>",
    "<category>", "</category>", "New York (dpa) - ", "Minneapolis, Minn. (AP) — ",
]), max_size=14).map("".join)
listing_text = st.lists(st.sampled_from([
    "MINNEAPOLIS (ANP/AFP) - ", "De man is overleden. ", "\n", "14 minuten geleden", "1 uur geleden",
    "gisteren 25:99", "gisteren 18:04", "yesterday", "just now", "31 feb 2026", "Kop\n", "nu",
    "5 hours ago", "Abc ", "999 dagen geleden", "(ANP)", " - ", "É", "\u0301", "\x00",
    "New York (dpa) - ", "Moskau/Kiew (dpa/AFP) - ", "Donald Trump (AP) - ", "(www.example.com) ",
]), max_size=12).map("".join)
payloads = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    xml_fragments.map(lambda s: s.encode("utf-8", "surrogatepass")),
    listing_text.map(lambda s: s.encode()),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
)


def check(payload: bytes, meta: RawMeta) -> None:
    try:
        item = parse_raw_item(payload, meta, now=NOW)
    except InvalidItem as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    assert list(schemas.validator("wire_item").iter_errors(item.to_dict())) == []
    for place in item.places:  # gazetteer names only: no agency markers, dashes or blanks
        assert place.strip() == place and not any(c in place for c in "()–—")
    # known agencies, or an upper-case code from a byline after a real place; never a domain
    assert all(code in KNOWN_AGENCIES or re.fullmatch("[A-Z]{2,6}", code) for code in item.agencies)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads, metas)
def test_parse_raw_item_is_total(payload, meta):
    check(payload, meta)


@settings(max_examples=300, deadline=None)
@given(payloads, st.sampled_from(FORMATS))
def test_total_with_valid_meta(payload, fmt):
    check(payload, RawMeta(source="anp-test", format=fmt, fetched_at="2026-01-24T18:00:00+01:00"))
