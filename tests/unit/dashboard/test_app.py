"""The dashboard app against a fake Reader: JSON, bound search/filter/range parameters, pages,
evidence, dead letters, SSE, ClickHouse outages."""

from __future__ import annotations

import orjson
import pytest
from starlette.testclient import TestClient

from tests.support.waiting import wait_until
from wirestream.dashboard.app import create_app


class Down(RuntimeError):
    pass


@pytest.fixture
def client(fake_reader):
    app = create_app(lambda: fake_reader, "wirestream", poll_s=0.01, transient=(Down,), keepalive_s=0.05)
    with TestClient(app) as c:
        yield c


def test_story_list_json_newest_activity_first_with_chain_in_time_order(client):
    body = client.get("/api/stories").json()
    assert [s["story_id"] for s in body["stories"]] == ["minneapolis", "moskou", "london"]
    chain = body["stories"][0]["items"]
    assert [i["item_id"] for i in chain] == ["m1", "m2", "m2b", "m3"]
    assert [i["relation"] for i in chain] == ["new", "update", "duplicate", "update"]
    assert body["stories"][0]["sources"] == ["afp", "anp"]
    assert len(body["stories"][0]["activity"]) == 24


def bound(fake_reader, kind: str) -> dict:
    return [p for k, p in fake_reader.calls if k == kind][-1]


@pytest.mark.parametrize(("query", "expected"), [
    ("q=Walz 50%25+a_b", {"t0": "%walz%", "t1": "%50%", "t2": "%a\\_b%"}),  # LIKE wildcards escaped
    ("source=afp&language=en&place=Moskou", {"source": "afp", "language": "en", "place": "Moskou"}),
    ("range=all", {}),
    ("limit=9999", {"limit": 500}),
])
def test_search_filters_and_range_are_bound_parameters(client, fake_reader, query, expected):
    assert client.get(f"/api/stories?{query}").status_code == 200
    params = bound(fake_reader, "RIVER_IDS")
    assert {k: params[k] for k in expected} == expected
    assert ("since" in params) == ("range=all" not in query)


def test_front_page_is_accessible_html_with_labelled_search_range_and_filters(client):
    r = client.get("/?place=Minneapolis&q=walz&range=7d")
    assert r.status_code == 200
    html = r.text
    for landmark in ('<main id="main"', 'role="banner"', 'role="contentinfo"', 'role="search"',
                     'aria-live="polite"', '<html lang="en">', "<h1", 'aria-label="Pipeline health"'):
        assert landmark in html
    for name in ("q", "source", "language", "place"):
        assert f'<label for="f-{name}">' in html and f'id="f-{name}"' in html
    assert "<legend>Time range</legend>" in html and 'value="7d" checked' in html
    assert '<option value="Minneapolis" selected>' in html and 'value="walz"' in html
    assert 'data-partial="/partials/stories?q=walz&amp;place=Minneapolis&amp;range=7d"' in html
    assert 'class="badge badge-duplicate"' in html
    assert 'href="https://anp.nl/m1" target="_blank" rel="noopener noreferrer"' in html


def test_river_rows_are_compact_expandable_and_dated_with_year(client):
    html = client.get("/").text
    assert html.count('<details class="row') == 3
    assert '<svg class="spark"' in html and "Items per hour, last 24 h" in html
    assert "24 Jan 12:00 – 16:46" in html or "24 Jan 2026 12:00 – 16:46" in html


def test_row_times_carry_the_year_when_not_this_year(sample_stories):
    from datetime import UTC, datetime

    from wirestream.dashboard.river import story_row

    s = dict(sample_stories[0], items=[], activity=[0] * 24)
    assert "24 Jan 2026 12:00 – 16:46" in story_row(s, datetime(2027, 3, 1, tzinfo=UTC))
    assert "24 Jan 12:00 – 16:46" in story_row(s, datetime(2026, 3, 1, tzinfo=UTC))
    s["last_published_at"] = "2026-01-25T01:00:00Z"
    assert "24 Jan 12:00 – 25 Jan 01:00" in story_row(s, datetime(2026, 3, 1, tzinfo=UTC))


def test_story_page_evidence_in_words_with_raw_json_behind_a_toggle(client):
    r = client.get("/story/minneapolis")
    assert r.status_code == 200
    html = r.text
    positions = [html.index(f'data-item-id="{i}"') for i in ("m1", "m2", "m2b", "m3")]
    assert positions == sorted(positions)
    assert "similar (42% text similarity)" in html and "30 minutes from the story" in html
    assert "<mark>Shot</mark> man has died" in html
    assert "4 candidate stories compared" in html
    assert "<summary>Raw evidence JSON</summary>" in html and "&quot;similarity&quot;: 0.42" in html
    assert '<section id="story" data-partial="/partials/story/minneapolis"' in html


def test_story_api_parses_evidence_and_404s(client):
    story = client.get("/api/story/minneapolis").json()
    assert story["items"][0]["evidence"]["shared_places"] == ["minneapolis"]
    assert client.get("/api/story/nope").status_code == 404
    assert client.get("/story/nope").status_code == 404


def test_html_is_escaped(fake_reader, client):
    fake_reader.stories[0]["_items"][0]["headline"] = "<script>alert(1)</script>"  # m3, the latest
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_partials_are_fragments(client):
    frag = client.get("/partials/stories?language=en").text
    assert frag.startswith('<h2 id="stories-h">') and "Trump praises British soldiers" in frag and "<html" not in frag
    assert "Timeline" in client.get("/partials/story/minneapolis").text
    strip = client.get("/partials/health").text
    assert "<html" not in strip and 'id="h-sink"' in strip and "Sink not reachable" in strip


def test_dead_letter_view_and_original_bytes(client):
    html = client.get("/dlq").text
    assert "unparseable &lt;xml&gt;" in html and 'href="/dlq/wire.dlq/0/7/original"' in html
    r = client.get("/dlq/wire.dlq/0/7/original")
    assert r.status_code == 200 and r.content == b"\x00bad\xff"
    assert 'filename="wire.dlq-0-7.bin"' in r.headers["content-disposition"]
    assert client.get("/dlq/wire.dlq/0/8/original").status_code == 404


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            events.append((fields["event"], orjson.loads(fields["data"])))
    return events


def wait_for_state(client, predicate, timeout_s: float = 5.0) -> dict:
    def matched():
        state = client.get("/healthz").json()
        return state if predicate(state) else None

    return wait_until(matched, timeout_s, "the dashboard state to match", interval=0.01)


def test_sse_emits_change_when_fingerprint_changes(fake_reader, client):
    before = wait_for_state(client, lambda s: s["fingerprint"] is not None)
    fake_reader.changed = ["minneapolis"]
    fake_reader.fingerprints = ["6:2026-01-24 16:51:00.000"]
    r = client.get("/events?limit=1", headers={"Last-Event-ID": str(before["version"])})
    assert r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    assert events[0][0] == "hello"
    kind, data = events[-1]
    assert kind == "change", events
    assert data["fingerprint"] == "6:2026-01-24 16:51:00.000" and data["changed"] == ["minneapolis"]
    assert [p for k, p in fake_reader.calls if k == "CHANGED_SINCE"], "changed stories are looked up after a change"


def test_clickhouse_down_is_a_notice_and_a_status_event(fake_reader, client):
    fake_reader.fail = Down("waiting for the pipeline: no running sink")
    r = client.get("/")
    assert r.status_code == 503 and "waiting for the pipeline" in r.text and 'role="alert"' in r.text
    assert client.get("/api/stories").status_code == 503
    wait_for_state(client, lambda s: s["clickhouse_error"])
    events = parse_sse(client.get("/events?limit=0").text)
    assert events == [("hello", events[0][1])]
    assert events[0][1]["error"] == "waiting for the pipeline: no running sink"
    fake_reader.fail = None
    assert client.get("/api/stories").status_code == 200
    wait_for_state(client, lambda s: s["clickhouse_error"] is None)


def test_healthz_and_static(client):
    assert client.get("/healthz").json()["status"] == "alive"
    assert "EventSource" in client.get("/static/dashboard.js").text
    assert client.get("/static/dashboard.css").status_code == 200
