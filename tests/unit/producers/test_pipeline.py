"""The one producer pipeline without a broker: what becomes an item, what a dead letter
(with which bytes), how runs of JSON lines are numbered, and what is counted."""

from __future__ import annotations

import io

import orjson

from producers.limits import ProducerLimits
from producers.pipeline import PipelineOptions, ProducerPipeline, prepare_document
from producers.sources.base import Document
from producers.sources.files import iter_file_documents, iter_lines_runs, read_capped
from producers.state import SourceState
from schemas.models import dumps

FETCHED = "2026-01-24T18:00:00+00:00"
SMALL = ProducerLimits(max_item_bytes=1000, max_document_bytes=10_000, max_message_bytes=80_000)


def doc(data: bytes, name: str = "feed.rss", **kw) -> Document:
    return Document(data=data, name=name, fetched_at=FETCHED, **kw)


def rss_item(guid: str, size: int = 0) -> bytes:
    return b"<item><guid>%s</guid><title>T %s</title><description>%s</description></item>" % (
        guid.encode(), guid.encode(), b"x" * size)


def test_oversize_item_is_a_dead_letter_with_its_bytes_and_neighbours_go_on():
    big = rss_item("big", 2000)
    prepared = prepare_document(doc(b"<rss><channel>" + rss_item("a") + big + rss_item("b") +
                                    b"</channel></rss>"), PipelineOptions(limits=SMALL))
    assert [i.key for i in prepared.items] == ["a", "b"]
    (dl,) = prepared.dead_letters
    assert dl.stage == "produce" and dl.original == big and dl.original_key == b"big"
    assert dl.reason == f"item of {len(big)} bytes exceeds max_item_bytes=1000"
    assert dl.headers["source"] == "feed" and dl.headers["format"] == "rss"
    assert len(dumps(dl)) < SMALL.max_message_bytes


def test_a_dead_letter_never_exceeds_the_topic_limit():
    tiny_topic = ProducerLimits(max_item_bytes=1000, max_document_bytes=200_000, max_message_bytes=70_000)
    big = rss_item("big", 100_000)
    prepared = prepare_document(doc(b"<rss><channel>" + big + b"</channel></rss>"),
                                PipelineOptions(limits=tiny_topic))
    (dl,) = prepared.dead_letters
    assert dl.original == big[: tiny_topic.dead_letter_budget]
    assert f"original of {len(big)} bytes truncated to its first {tiny_topic.dead_letter_budget}" in dl.reason
    assert len(dumps(dl)) <= tiny_topic.max_message_bytes


def test_refused_document_keeps_a_prefix_and_a_reference(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"word " * 5000)
    (d,) = iter_file_documents(path, FETCHED, limits=SMALL)
    assert d.refused and d.size > SMALL.max_document_bytes and len(d.data) <= SMALL.refusal_prefix
    (dl,) = prepare_document(d, PipelineOptions(limits=SMALL)).dead_letters
    assert "exceeds max_document_bytes (WIRESTREAM_MAX_DOCUMENT_BYTES); refused at" in dl.reason
    assert str(path) in dl.reason
    assert dl.original == (b"word " * 5000)[: len(dl.original)]


def test_read_capped_stops_at_the_limit():
    data, size, complete = read_capped(io.BytesIO(b"a" * 300_000), 100_000, 10)
    assert (data, complete) == (b"a" * 10, False) and 100_000 < size < 300_000


def test_json_lines_runs_are_numbered_and_an_oversize_line_stands_alone():
    lines = [orjson.dumps({"guid": str(n), "headline": "h"}) for n in range(1, 40)]
    lines[19] = b'{"guid": "20", "headline": "' + b"y" * 5000 + b'"}'
    limits = ProducerLimits(max_item_bytes=1000, max_document_bytes=600, max_message_bytes=80_000)
    runs = list(iter_lines_runs(io.BytesIO(b"\n".join(lines) + b"\n"), doc(b"", "a.jsonl"), limits))
    refused = [r for r in runs if r.refused]
    assert len(refused) == 1 and refused[0].first_line == 20 and refused[0].refused.startswith("line 20: item of 5030")
    assert len(refused[0].data) == 1000
    keys, dead = [], []
    for run in runs:
        prepared = prepare_document(run, PipelineOptions(limits=limits))
        keys += [i.key for i in prepared.items]
        dead += [d.reason for d in prepared.dead_letters]
    assert keys == [str(n) for n in range(1, 40) if n != 20]
    assert len(dead) == 1 and dead[0].startswith("line 20:")


def test_line_numbers_of_bad_lines_count_from_the_file_start():
    data = b"\n".join([b'{"guid": "%d", "headline": "h"}' % n for n in range(1, 30)] + [b"{bad"]) + b"\n"
    limits = ProducerLimits(max_item_bytes=1000, max_document_bytes=200, max_message_bytes=80_000)
    reasons = [dl.reason for run in iter_lines_runs(io.BytesIO(data), doc(b"", "a.jsonl"), limits)
               for dl in prepare_document(run, PipelineOptions(limits=limits)).dead_letters]
    assert len(reasons) == 1 and reasons[0].startswith("line 30: malformed JSON")


class Report:
    def __init__(self, keys):
        self.keys, self.published, self.failed = list(keys), len(keys), []


class Publisher:
    def __init__(self):
        self.items, self.letters = [], []

    def publish(self, items):
        self.items += items
        return Report([i.key for i in items])

    def publish_dead_letters(self, letters):
        self.letters += letters
        return Report(["dl"] * len(letters))


def test_pipeline_counts_published_unchanged_and_dead_lettered():
    publisher, errors = Publisher(), []
    state = SourceState(":memory:")
    pipeline = ProducerPipeline(publisher, PipelineOptions(limits=SMALL), state=state, err=errors.append)
    feed = doc(b"<rss><channel>" + rss_item("a") + b"<item><guid>n</guid><title>\0</title></item>" +
               rss_item("b") + b"</channel></rss>")
    pipeline.run([feed])
    pipeline.run([feed])
    c = pipeline.counts
    assert (c.published, c.unchanged, c.dead_lettered, c.failed) == (2, 2, 2, 0)
    assert c.line() == "published 2, unchanged 2, failed 0, dead-lettered 2" and c.exit_code == 2
    assert [i.key for i in publisher.items] == ["a", "b"]
    dead = [e for e in errors if "dead letter" in e]
    assert len(dead) == 2 and all("dead letter: <item> malformed XML" in e for e in dead)
