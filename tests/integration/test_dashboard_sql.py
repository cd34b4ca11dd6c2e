"""Every dashboard query (wirestream/dashboard/data.py) against the real schema in chdb, through
the app: the river, search over bodies, time ranges, hidden embargoed/withdrawn copy, the story
page's evidence and competitors, the health counts and the dead-letter download."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.support.dashboard_seed import BAD_INPUT, DB, seed
from wirecore.clickhouse import open_client, run_migrations
from wirestream.dashboard import data
from wirestream.dashboard.app import create_app
from wirestream.reader import DirectReader

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    # chdb serves one data path per process: always close, or later tests cannot open theirs
    client = open_client(f"chdb://{tmp_path_factory.mktemp('dash-chdb')}/ch")
    try:
        run_migrations(client, DB)
        seed(client)
        yield DirectReader(client)
    finally:
        client.close()


@pytest.fixture(scope="module")
def http(reader):
    with TestClient(create_app(lambda: reader, DB, poll_s=0.05)) as c:
        yield c


def ids(http, query: str = "") -> list[str]:
    r = http.get(f"/api/stories{query}")
    assert r.status_code == 200, r.text
    return [s["story_id"] for s in r.json()["stories"]]


def test_river_newest_first_hides_embargoed_withdrawn_and_canceled(http):
    stories = http.get("/api/stories").json()["stories"]
    assert [s["story_id"] for s in stories] == ["mpls", "moscow", "nearby"]  # "old" is outside 24 h
    mpls = stories[0]
    assert [i["item_id"] for i in mpls["items"]] == ["m1", "m2", "m3"]  # e1 embargoed, w1 withdrawn
    assert mpls["headline"] == "Walz wants state-led inquiry" and mpls["item_count"] == 3
    assert len(mpls["activity"]) == data.SPARK_HOURS and sum(mpls["activity"]) == 3
    assert mpls["items"][0]["url"] == "https://example.org/m1"
    html = http.get("/").text
    assert "EMBARGOED" not in html and "WITHDRAWN" not in html and "Canceled story" not in html


@pytest.mark.parametrize(("query", "expected"), [
    ("?q=zebrafinch", ["moscow"]),                 # a word only in the body
    ("?q=WALZ", ["mpls"]),                         # case-insensitive, headline
    ("?q=minneapolis+protest", ["nearby"]),        # every word must match
    ("?q=secret", []),                             # embargoed text is not searchable either
    ("?q=50%25", []),                              # LIKE wildcards are escaped
    ("?range=1h", ["mpls"]),
    ("?range=6h", ["mpls", "moscow", "nearby"]),
    ("?range=all", ["mpls", "moscow", "nearby", "old"]),
    ("?range=all&language=en", ["moscow", "old"]),
    ("?range=all&place=London", ["old"]),
    ("?source=reuters", ["moscow"]),
])
def test_search_time_range_and_filters_in_clickhouse(http, query, expected):
    assert ids(http, query) == expected


def test_custom_range(http, reader):
    now = data.StoryFilter().now
    start = (now - data.timedelta(days=500)).strftime("%Y-%m-%dT%H:%M")
    end = (now - data.timedelta(days=300)).strftime("%Y-%m-%dT%H:%M")
    assert ids(http, f"?range=custom&from={start}&to={end}") == ["old"]
    page = http.get(f"/?range=custom&from={start}&to={end}").text
    assert "Old story from last year" in page and f'value="{start}"' in page


def test_story_page_evidence_in_words_with_highlights_and_competitors(http):
    r = http.get("/story/mpls")
    assert r.status_code == 200
    html = r.text
    assert "very similar (61% text similarity)" in html and "2 hours from the story" in html
    assert "<mark>Shot</mark> man has died" in html  # highlighted in this item ...
    assert "Man <mark>shot</mark> by federal agents in <mark>Minneapolis</mark>" in html  # ... and the story before
    assert "Protest in Minneapolis" in html  # a nearby story sharing a place
    assert "3 candidate stories compared" in html
    assert 'rel="noopener noreferrer"' in html and 'href="https://example.org/m1"' in html
    assert "EMBARGOED" not in html
    assert '<details class="evidence"><summary>Raw evidence JSON</summary>' in html


def test_health_counts_and_dead_letters(http, reader):
    counts = data.pipeline_counts(reader, DB)
    assert counts["dead_letters_1h"] == 1 and len(counts["items_per_minute"]) == 30
    assert sum(counts["items_per_minute"]) == 9  # all seeded rows were inserted this minute
    strip = http.get("/partials/health").text
    assert 'id="h-dlq"' in strip and 'data-value="1"' in strip and "Sink not reachable" in strip
    page = http.get("/dlq").text
    assert "unparseable xml: no closing tag" in page and "too old" in page
    r = http.get("/dlq/wire.dlq/0/7/original")
    assert r.status_code == 200 and r.content == BAD_INPUT
    assert r.headers["content-disposition"].startswith("attachment")
    assert http.get("/dlq/wire.dlq/0/999/original").status_code == 404


def test_filter_options_and_fingerprint(reader):
    opts = data.filter_options(reader, DB)
    assert set(opts["source"]) == {"anp", "reuters"} and "London" in opts["place"]
    n, _ = data.read_fingerprint(reader, DB).split(":", 1)
    assert int(n) == 9
