"""The dashboard app against a fake Reader: JSON, filters, pages, SSE, ClickHouse outages."""

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


@pytest.mark.parametrize(("query", "expected"), [
    ("language=en", ["london"]),
    ("place=Moskou", ["moskou"]),
    ("source=afp", ["minneapolis"]),
    ("source=anp&language=nl", ["minneapolis", "moskou"]),
    ("place=Nowhere", []),
])
def test_filters(client, query, expected):
    body = client.get(f"/api/stories?{query}").json()
    assert [s["story_id"] for s in body["stories"]] == expected


def test_front_page_is_accessible_html_with_labelled_filters(client):
    r = client.get("/?place=Minneapolis")
    assert r.status_code == 200
    html = r.text
    for landmark in ('<main id="main"', 'role="banner"', 'role="contentinfo"', 'role="search"',
                     'aria-live="polite"', '<html lang="en">', "<h1>"):
        assert landmark in html
    for name in ("source", "language", "place"):
        assert f'<label for="f-{name}">' in html and f'id="f-{name}"' in html
    assert '<option value="Minneapolis" selected>' in html
    assert 'data-partial="/partials/stories?place=Minneapolis"' in html
    assert "Man shot in Minneapolis" in html and "UK soldiers praised" not in html
    assert 'class="badge badge-duplicate"' in html


def test_story_page_shows_chain_in_order_with_evidence(client):
    r = client.get("/story/minneapolis")
    assert r.status_code == 200
    html = r.text
    positions = [html.index(f'data-item-id="{i}"') for i in ("m1", "m2", "m2b", "m3")]
    assert positions == sorted(positions)
    assert "Evidence, score 0.500" in html
    assert "&quot;similarity&quot;: 0.42" in html  # pretty evidence JSON, escaped
    assert '<section id="story" data-partial="/partials/story/minneapolis"' in html


def test_story_api_parses_evidence_and_404s(client):
    story = client.get("/api/story/minneapolis").json()
    assert story["items"][0]["evidence"] == {"similarity": 0.42, "shared_places": ["minneapolis"]}
    assert client.get("/api/story/nope").status_code == 404
    assert client.get("/story/nope").status_code == 404


def test_html_is_escaped(fake_reader, client):
    fake_reader.stories[0]["headline"] = "<script>alert(1)</script>"
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_partials_are_fragments(client):
    frag = client.get("/partials/stories?language=en").text
    assert frag.startswith('<h2 id="stories-h">') and "UK soldiers praised" in frag and "<html" not in frag
    assert "Timeline" in client.get("/partials/story/minneapolis").text


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
    since = [q for q in fake_reader.queries if "SELECT DISTINCT story_id" in q]
    assert since, "changed stories are looked up after a change"


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
