"""Bad input through the real broker: each bad raw item lands in wire.dlq (and the dlq
table) with stage, reason and its original bytes, and the good item after it is still
processed into ClickHouse."""

from __future__ import annotations

import base64

import orjson
import pytest

from producers.publisher import RawPublisher
from schemas.models import RawItem, RawMeta
from tests.support.storykit import read_topic
from wirecore.settings import load_settings
from wirestream.queries import stories_with_items
from wirestream.reader import open_reader
from wirestream.up import Pipeline

pytestmark = pytest.mark.integration
FETCHED = "2026-01-24T18:00:00+01:00"


def raw(key: str, payload: bytes, fmt: str = "listing") -> RawItem:
    return RawItem(key=key, payload=payload, meta=RawMeta(source="anp", format=fmt, fetched_at=FETCHED))


def test_bad_items_go_to_dlq_and_the_next_good_item_is_processed(ws_env):
    s = load_settings()  # the big item (> 1 MiB) must pass the broker and be refused by the parser
    bad = [
        raw("bin", bytes(range(256)) * 4),
        raw("empty", b"   \n  "),
        raw("xml-bomb", b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
                        b'"&lol;&lol;&lol;">]><rss><channel><item><title>&lol2;</title></item></channel></rss>', "rss"),
        raw("fmt", b"hello", "telex"),
        raw("big", b"MINNEAPOLIS (ANP) - " + b"x " * (s.max_item_bytes // 2 + 10) + b"\n5 uur geleden"),
    ]
    good = raw("good", b"MINNEAPOLIS (ANP) - De gouverneur wil een eigen onderzoek naar de schietpartij."
                       b"\n14 minuten geleden")
    pipeline = Pipeline(s)
    try:
        pipeline.start(log=lambda m: None)
        report = RawPublisher(s).publish([*bad, good])
        assert report.published == len(bad) + 1 and not report.failed
        pipeline.wait_drained(120)
        reader = open_reader(s)
        stories = stories_with_items(reader, s.clickhouse_database)
        _, dlq_rows = reader.query(f"SELECT reason, original FROM {s.clickhouse_database}.dlq FINAL")
    finally:
        pipeline.stop()

    assert [i["headline"][:26] for st in stories for i in st["items"]] == ["De gouverneur wil een eige"]
    letters = [orjson.loads(v) for v in read_topic(s, s.topic("dlq"))]
    assert len(letters) == len(bad)
    by_original = {base64.b64decode(dl["original"]): dl for dl in letters}
    for item in bad:
        dl = by_original[item.payload]  # the original bytes, untouched
        assert dl["stage"] == "parse" and dl["reason"] and dl["origin_topic"] == s.topic("raw")
        assert dl["headers"]["source"] == "anp"
    reasons = " | ".join(dl["reason"] for dl in letters).lower()
    for word in ("entit", "format", "empty", "bytes"):
        assert word in reasons, reasons
    assert sorted(base64.b64decode(o) for _, o in dlq_rows) == sorted(i.payload for i in bad)
