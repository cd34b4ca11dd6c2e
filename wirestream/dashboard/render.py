"""HTML for the dashboard: the page template (``templates/page.html``) and the helpers every
fragment shares (times, badges, links to originals). Pure: dicts in, escaped HTML strings out.
The browser swaps the same fragments in place when the server reports a change, so there is
one renderer, in Python: ``front`` (search, range, filters), ``river`` (story rows),
``story_view`` (story page, evidence), ``health_view`` (health strip, dead letters).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from wirecore.dates import parse_iso as parse_time
from wirecore.topology import RELATIONS

_PAGE = Template((Path(__file__).parent / "templates" / "page.html").read_text(encoding="utf-8"))


def ago(value, now: datetime | None = None) -> str:
    """``3 min ago`` style freshness (the page's script keeps it current)."""
    t = parse_time(value)
    if t is None:
        return "unknown"
    secs = ((now or datetime.now(UTC)) - t).total_seconds()
    if secs < 0:
        return "in the future"
    if secs < 60:
        return "just now"
    if secs < 3600:
        return f"{int(secs // 60)} min ago"
    if secs < 86400:
        return f"{int(secs // 3600)} h ago"
    days = int(secs // 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


def when(value, now: datetime | None = None) -> str:
    """A compact UTC time: ``14:05`` today, ``24 Jan 14:05`` this year, ``24 Jan 2025 14:05`` before."""
    t = parse_time(value)
    if t is None:
        return "?"
    now = now or datetime.now(UTC)
    t = t.astimezone(UTC)
    if t.date() == now.date():
        return t.strftime("%H:%M")
    if t.year == now.year:
        return f"{t.day} {t.strftime('%b %H:%M')}"
    return f"{t.day} {t.strftime('%b %Y %H:%M')}"


def time_tag(value, text: str, extra: str = "") -> str:
    t = parse_time(value)
    iso = t.isoformat().replace("+00:00", "Z") if t else ""
    return f'<time datetime="{escape(iso)}"{extra}>{escape(text)}</time>'


def badge(relation: str) -> str:
    rel = relation if relation in RELATIONS else "other"
    return f'<span class="badge badge-{rel}">{escape(relation or "?")}</span>'


def original_link(url: str | None, text: str = "original") -> str:
    """A link to the source article, opened in a new tab without giving it our window."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return ""
    return (f'<a class="orig" href="{escape(url)}" target="_blank" rel="noopener noreferrer"'
            f' title="Open the original at {escape(urlsplit(url).netloc)}">{escape(text)} ↗</a>')


def page(title: str, main: str, health: str = "") -> str:
    return _PAGE.substitute(title=escape(title), main=main, health=health)
