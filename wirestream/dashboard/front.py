"""The front page: search box, time range presets, filters, and the live story river."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from wirestream.dashboard.data import RANGES, StoryFilter
from wirestream.dashboard.render import page
from wirestream.dashboard.river import story_river

RANGE_LABELS = {"1h": "1 h", "6h": "6 h", "24h": "24 h", "7d": "7 d", "all": "all", "custom": "custom"}


def _select(name: str, label: str, options: list[str], current: str | None) -> str:
    opts = ['<option value="">all</option>'] + [
        f'<option value="{escape(o)}"{" selected" if o == current else ""}>{escape(o)}</option>'
        for o in options]
    if current and current not in options:
        opts.append(f'<option value="{escape(current)}" selected>{escape(current)}</option>')
    return (f'<div class="field"><label for="f-{name}">{escape(label)}</label>'
            f'<select id="f-{name}" name="{name}">{"".join(opts)}</select></div>')


def range_picker(flt: StoryFilter) -> str:
    radios = "".join(
        f'<label class="seg"><input type="radio" name="range" value="{r}"'
        f'{" checked" if r == flt.range else ""}><span>{RANGE_LABELS[r]}</span></label>' for r in RANGES)
    custom = (f'<span class="custom"{"" if flt.range == "custom" else " hidden"}>'
              f'<label for="f-from" class="sr">From (UTC)</label>'
              f'<input type="datetime-local" id="f-from" name="from" value="{escape((flt.start or "")[:16])}">'
              f'<label for="f-to" class="sr">To (UTC)</label>'
              f'<input type="datetime-local" id="f-to" name="to" value="{escape((flt.end or "")[:16])}"></span>')
    return f'<fieldset class="range"><legend>Time range</legend>{radios}{custom}</fieldset>'


def filter_form(options: dict[str, list[str]], flt: StoryFilter) -> str:
    return (
        '<form class="filters" id="filters" method="get" action="/" role="search"'
        ' aria-label="Search and filter stories">'
        '<div class="field search"><label for="f-q">Search headlines and text</label>'
        f'<input type="search" id="f-q" name="q" value="{escape(flt.q or "")}" placeholder="e.g. Minneapolis shooting"'
        ' autocomplete="off" aria-keyshortcuts="/"></div>'
        + range_picker(flt)
        + _select("source", "Source", options.get("source", []), flt.source)
        + _select("language", "Language", options.get("language", []), flt.language)
        + _select("place", "Place", options.get("place", []), flt.place)
        + '<div class="field actions"><button type="submit">Apply</button><a href="/">Clear</a></div></form>'
    )


def index_page(stories: list[dict], options: dict, flt: StoryFilter, error: str | None = None,
               health: str = "") -> str:
    qs = urlencode(flt.as_query())
    partial = "/partials/stories" + (f"?{qs}" if qs else "")
    main = (
        '<h1 class="sr">Live wire stories</h1>'
        + filter_form(options, flt)
        + f'<section id="stories" class="stories" aria-labelledby="stories-h" data-partial="{escape(partial)}">'
        + story_river(stories, flt, error) + "</section>"
        '<p class="keys small">Keys: <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd> move, '
        '<kbd>Enter</kbd> expands, <kbd>o</kbd> opens the story, <kbd>/</kbd> searches.</p>'
    )
    return page("wirestream — stories", main, health)
