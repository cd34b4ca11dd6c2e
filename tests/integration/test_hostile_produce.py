"""Hostile documents through the real broker: ``wirestream produce`` and ``wirestream up``
(the console script, as a subprocess) publish every good item to ``wire.raw`` and every part
they cannot cut out to ``wire.dlq`` — reason plus original bytes — and report both counts."""

from __future__ import annotations

import base64
import os
import subprocess
import time
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition

from wirecore import kafka_admin
from wirecore.settings import load_settings

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
WIRESTREAM = REPO / ".venv" / "bin" / "wirestream"
NUL_ITEM = b"<item><guid>nul</guid><title>Bad\0item</title></item>"
RSS = (b'<?xml version="1.0"?><rss><channel><language>nl</language>'
       b"<item><guid>n</guid><title>Minneapolis: gouverneur wil eigen onderzoek</title>"
       b"<pubDate>Sat, 24 Jan 2026 17:00:00 +0100</pubDate></item>" + NUL_ITEM +
       b"<item><guid>o</guid><title>Schietpartij in Minneapolis bij actie immigratiedienst</title>"
       b"<pubDate>Sat, 24 Jan 2026 13:00:00 +0100</pubDate></item></channel></rss>")
BAD_LINE = b'{"guid": "x", "headline": '
JSONL = (b'{"guid": "j1", "headline": "Brand in Rotterdamse haven onder controle", '
         b'"published_at": "2026-01-24T12:00:00Z"}\n' + BAD_LINE + b"\n" + b"[" * 100_000 + b"]" * 100_000 + b"\n")
BOMB = (b'<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><rss><channel>'
        b"<item><guid>dep</guid><title>&b;</title></item>"
        b"<item><guid>free</guid><title>Staking bij de NS gaat door</title></item></channel></rss>")


def read_topic(settings, topic: str) -> list[tuple[bytes | None, bytes]]:
    """Every (key, value) of ``topic`` up to its high watermarks."""
    c = Consumer(settings.kafka_conf() | {"group.id": f"reader-{time.time_ns()}", "enable.auto.commit": False})
    parts = sorted(c.list_topics(topic, timeout=10).topics[topic].partitions)
    highs = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
    c.assign([TopicPartition(topic, p, 0) for p in parts])
    got, out = dict.fromkeys(parts, 0), []
    deadline = time.monotonic() + 30
    while any(got[p] < highs[p] for p in parts):
        assert time.monotonic() < deadline, f"{topic}: not read to its end in 30 s"
        m = c.poll(1.0)
        if m is None or m.error():
            continue
        got[m.partition()] = m.offset() + 1
        out.append((m.key(), m.value()))
    c.close()
    return out


def wirestream(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([str(WIRESTREAM), *args], capture_output=True, text=True, cwd=cwd,
                          env=os.environ | {"PYTHONPATH": str(REPO)}, timeout=timeout)


def test_produce_isolates_every_bad_item(ws_env, tmp_path):
    s = load_settings()
    kafka_admin.ensure_topics(s)
    docs = tmp_path / "in"
    docs.mkdir()
    (docs / "feed.rss").write_bytes(RSS)
    (docs / "backfill.jsonl").write_bytes(JSONL)
    (docs / "bomb.rss").write_bytes(BOMB)
    proc = wirestream("produce", str(docs), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr  # bad input, good items published
    assert "published 4, unchanged 0, failed 0, dead-lettered 5" in proc.stderr

    raw = read_topic(s, s.topic("raw"))
    assert sorted(k.decode() for k, _ in raw) == ["free", "j1", "n", "o"]
    feed_keys = [k.decode() for k, _ in raw if k.decode() in ("n", "o")]
    assert feed_keys == ["o", "n"]  # newest-first feed published oldest first
    letters = [orjson.loads(v) for _, v in read_topic(s, s.topic("dlq"))]
    assert all(dl["stage"] == "produce" and dl["origin_topic"] is None for dl in letters)
    by_reason = {dl["reason"].split(":")[0]: dl for dl in letters}
    originals = {base64.b64decode(dl["original"]) for dl in letters}
    assert NUL_ITEM in originals and BAD_LINE in originals and BOMB in originals
    assert "line 3" in by_reason and "document refused" in by_reason
    assert any("depends on the refused DTD (b)" in dl["reason"] for dl in letters)
    assert all(dl["headers"]["source"] in ("feed", "backfill", "bomb") for dl in letters)


def test_up_publishes_good_items_and_stores_the_dead_letters(ws_env, tmp_path):
    (tmp_path / "feed.rss").write_bytes(RSS)
    proc = wirestream("up", str(tmp_path / "feed.rss"), "--json", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr  # as produce: the good went through, one did not
    assert "published 2 raw item(s)" in proc.stderr and "1 dead letter(s)" in proc.stderr
    assert "1 item(s) of this run are dead letters" in proc.stderr
    headlines = sorted(i["headline"] for line in proc.stdout.splitlines() if line.strip()
                       for i in orjson.loads(line)["items"])
    assert len(headlines) == 2 and all("Minneapolis" in h for h in headlines)
    sql = wirestream("sql", "SELECT stage, reason, original FROM wirestream.dlq", "--json", cwd=tmp_path)
    assert sql.returncode == 0, sql.stderr
    (row,) = [orjson.loads(line) for line in sql.stdout.splitlines() if line.strip()]
    assert row["stage"] == "produce" and "malformed XML" in row["reason"]
    assert base64.b64decode(row["original"]) == NUL_ITEM




def test_produce_streams_a_big_feed_past_the_document_limit(ws_env, tmp_path, monkeypatch):
    """An RSS archive past WIRESTREAM_MAX_DOCUMENT_BYTES is published as runs of whole items:
    every good item once, the oversize item and the truncated last item dead-lettered."""
    from tests.hostile.test_limits_and_fetching import rss_archive

    s = load_settings()
    kafka_admin.ensure_topics(s)
    rss_archive(tmp_path / "archive.rss", 20_000, oversize_at=5_000, truncated=True)
    monkeypatch.setenv("WIRESTREAM_MAX_DOCUMENT_BYTES", str(2 << 20))
    proc = wirestream("produce", str(tmp_path / "archive.rss"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "published 19999, unchanged 0, failed 0, dead-lettered 2" in proc.stderr
    keys = [k.decode() for k, _ in read_topic(s, s.topic("raw"))]
    assert sorted(keys) == sorted(f"urn:a:{i}" for i in range(20_000) if i != 5_000)
    letters = [orjson.loads(v) for _, v in read_topic(s, s.topic("dlq"))]
    reasons = sorted(dl["reason"] for dl in letters)
    assert reasons[0].startswith("<item> at byte ") and "exceeds max_item_bytes=1048576" in reasons[0]
    assert reasons[1].startswith("truncated <item> at byte ")
    cut = [base64.b64decode(dl["original"]) for dl in letters if dl["reason"].startswith("truncated")]
    assert cut == [b"<item><guid>urn:a:cut</guid><title>Half"]
    assert all(dl["headers"]["source"] == "archive" and dl["headers"]["format"] == "rss" for dl in letters)
