"""Pure rendering helpers: times, sparklines, links to originals, evidence in words."""

from datetime import UTC, datetime

import pytest

from wirestream.dashboard.evidence import as_found, explain, gap_words, highlight, shared_words, similarity_words
from wirestream.dashboard.render import ago, original_link, when
from wirestream.dashboard.river import sparkline

NOW = datetime(2026, 1, 24, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-24T16:59:30Z", "just now"),
    ("2026-01-24T16:57:00Z", "3 min ago"),
    ("2026-01-24T14:00:00.000Z", "3 h ago"),
    ("2026-01-23T17:00:00+00:00", "1 day ago"),
    ("2026-01-20 17:00:00", "4 days ago"),
    ("2026-01-24T18:00:00Z", "in the future"),
    (None, "unknown"),
    ("garbage", "unknown"),
])
def test_ago(value, expected):
    assert ago(value, NOW) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-24T09:05:00Z", "09:05"),            # today: the clock only
    ("2026-01-03T09:05:00Z", "3 Jan 09:05"),      # this year: no year
    ("2025-12-31T23:59:00Z", "31 Dec 2025 23:59"),  # another year: with year
    (None, "?"),
])
def test_when_carries_the_year_only_when_needed(value, expected):
    assert when(value, NOW) == expected


def test_sparkline_scales_to_the_peak_and_describes_itself():
    svg = sparkline([0, 1, 0, 4], "Items per hour", width=40, height=18)
    assert svg.count("<rect") == 2 and 'height="16.0"' in svg  # the peak fills the height (less the axis)
    assert 'role="img"' in svg and "5 in total, at most 4 in one bucket" in svg
    assert sparkline([0, 0], "x").count("<rect") == 0


def test_original_links_open_safely_and_only_for_web_urls():
    link = original_link("https://www.anp.nl/a?b=1&c=2")
    assert 'target="_blank" rel="noopener noreferrer"' in link and 'href="https://www.anp.nl/a?b=1&amp;c=2"' in link
    assert original_link("javascript:alert(1)") == "" and original_link("file:///etc/passwd") == ""
    assert original_link(None) == ""


def test_highlight_marks_shared_words_as_prefixes_and_escapes():
    words = shared_words({"shared_places": ["Minneapolis"], "shared_terms": ["schiet"]})
    html = highlight("<b>Schietpartij</b> in MINNEAPOLIS", words)
    assert html == "&lt;b&gt;<mark>Schietpartij</mark>&lt;/b&gt; in <mark>MINNEAPOLIS</mark>"
    assert highlight("a < b", []) == "a &lt; b"
    found = as_found(["minneap", "schiet", "zzz"], "Schietpartij in Minneapolis")
    assert found == ["minneapolis", "schietpartij", "zzz"]


@pytest.mark.parametrize(("hours", "expected"), [
    (0.0, "inside the story's time span"),
    (0.5, "30 minutes from the story's nearest update"),
    (5, "5 hours from the story's nearest update"),
    (72, "3 days from the story's nearest update"),
    (None, "undated, so time was not weighed"),
])
def test_gap_words(hours, expected):
    assert gap_words(hours) == expected


def test_explain_each_relation():
    ev = {"similarity": 0.61, "time_gap_hours": 2.0, "shared_places": ["minneapolis"], "candidates": 3}
    assert explain("update", ev, 0.8) == ("Joined with score 0.80: very similar (61% text similarity); "
                                          "2 hours from the story's nearest update; shares minneapolis.")
    assert "Started a new story" in explain("new", {"candidates": 0}, 0.0)
    assert "3 candidate stories compared; the closest was" in explain("new", ev, 0.1)
    assert "exact copy of item <code>abc</code>" in explain("duplicate", {"matched_item": "abc"}, 1.0)
    assert "3 of 64 fingerprint bits differ" in explain("revision", {"matched_item": "x", "simhash_bits": 3}, 1)
    assert "&lt;" in explain("duplicate", {"matched_item": "<x>"}, 1.0)
    assert similarity_words("n/a") == "no similarity recorded"
