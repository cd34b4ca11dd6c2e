"""Fixtures for the story-engine tests: the ANP sample page split into items."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from processors.stories import StoryDoc

SHARED = Path(__file__).resolve().parents[4] / "shared"
SAMPLE_PAGE = SHARED / "data" / "anp-buitenland-page.txt"
NOW = datetime(2026, 1, 25, 12, 0, tzinfo=UTC)

_AGE = re.compile(r"(\d+) (minuut|minuten|uur|uren) geleden")
_DATELINE = re.compile(r"^(?P<places>[A-Z][A-Z /]+?) \((?P<agencies>[A-Z/]+)\) - (?P<body>.*)$", re.S)


def _doc(item_id: str, headline: str | None, text: str, at: datetime | None) -> StoryDoc:
    m = _DATELINE.match(text.strip())
    assert m, text[:60]
    body = m.group("body").strip()
    title = headline or body.split(". ")[0]
    return StoryDoc(
        id=item_id, title=title, text=body, published_at=at, lang="nl",
        places=[p.strip() for p in m.group("places").split("/")],
        agencies=m.group("agencies").split("/"),
    )


def split_sample_page(text: str) -> list[StoryDoc]:
    """The lead article plus the feed items, oldest first (the lead has no age: it goes first)."""
    lead, feed = text.split("Meer uit Buitenland", 1)
    headline, lead_body = lead.strip().split("\n", 1)
    docs = [_doc("lead", headline, lead_body, None)]
    parts = _AGE.split(feed.strip())  # text, n, unit, text, n, unit, ...
    feed_docs = []
    for i in range(0, len(parts) - 2, 3):
        minutes = int(parts[i + 1]) * (1 if parts[i + 2].startswith("minu") else 60)
        feed_docs.append(_doc(f"feed-{i // 3}", None, parts[i], NOW - timedelta(minutes=minutes)))
    feed_docs.sort(key=lambda d: (d.published_at, d.id))
    return docs + feed_docs


@pytest.fixture(scope="session")
def sample_docs() -> list[StoryDoc]:
    if not SAMPLE_PAGE.exists():
        pytest.skip("shared/data not present")
    return split_sample_page(SAMPLE_PAGE.read_text(encoding="utf-8"))
