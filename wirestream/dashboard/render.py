"""HTML for the dashboard: one page template (``templates/page.html``) and small fragment
functions. Pure: dicts in, escaped HTML strings out. The browser swaps the same fragments
in place when the server reports a change, so there is one renderer, in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import quote, urlencode

import orjson

from wirecore.topology import RELATIONS
from wirestream.dashboard.data import StoryFilter

_PAGE = Template((Path(__file__).parent / "templates" / "page.html").read_text(encoding="utf-8"))


def parse_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


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


def _time(value, text: str, extra: str = "") -> str:
    t = parse_time(value)
    iso = t.isoformat().replace("+00:00", "Z") if t else ""
    return f'<time datetime="{escape(iso)}"{extra}>{escape(text)}</time>'


def _clock(value) -> str:
    t = parse_time(value)
    return t.strftime("%d %b %H:%M UTC") if t else "?"


def badge(relation: str) -> str:
    rel = relation if relation in RELATIONS else "other"
    return f'<span class="badge badge-{rel}">{escape(relation or "?")}</span>'


def tag_list(label: str, values: list[str], cls: str) -> str:
    if not values:
        return ""
    tags = "".join(f'<li class="tag {cls}">{escape(v)}</li>' for v in values)
    return f'<ul class="tags" aria-label="{escape(label)}">{tags}</ul>'


def chain_item(item: dict) -> str:
    dateline = f'<span class="dateline">{escape(item["dateline"])}</span> ' if item.get("dateline") else ""
    agencies = "/".join(item.get("agencies") or [])
    rel = escape(item.get("relation") or "")
    return (
        f'<li class="item rel-{rel}" data-item-id="{escape(item["item_id"])}">'
        f'{_time(item.get("published_at"), _clock(item.get("published_at")), " data-clock")} '
        f'{badge(item.get("relation") or "")} {dateline}'
        f'<span class="headline">{escape(item.get("headline") or "")}</span>'
        + (f' <span class="agencies">({escape(agencies)})</span>' if agencies else "")
        + "</li>"
    )


def story_card(story: dict, now: datetime | None = None) -> str:
    sid = escape(story["story_id"])
    items = story.get("items") or []
    n = story.get("item_count", len(items))
    langs = ", ".join(story.get("languages") or []) or "?"
    last = story.get("last_published_at")
    return (
        f'<article class="story" id="story-{sid}" data-story-id="{sid}" aria-labelledby="h-{sid}">'
        f'<header class="story-head"><h3 id="h-{sid}"><a href="/story/{quote(story["story_id"])}">'
        f'{escape(story.get("headline") or "")}</a></h3>'
        f'<p class="meta">Last update {_time(last, ago(last, now), " data-ago")}'
        f' · {n} item{"s" if n != 1 else ""} · language <span class="lang">{escape(langs)}</span></p>'
        f'{tag_list("Agencies", story.get("agencies") or [], "agency")}'
        f'{tag_list("Places", story.get("places") or [], "place")}</header>'
        f'<ol class="chain" aria-label="Updates in time order">{"".join(chain_item(i) for i in items)}</ol>'
        "</article>"
    )


def story_list(stories: list[dict], flt: StoryFilter, error: str | None = None,
               now: datetime | None = None) -> str:
    """The part of the front page that is swapped live."""
    head = f'<h2 id="stories-h">Stories <span class="count">({len(stories)})</span></h2>'
    if error:
        body = f'<p class="notice" role="alert">{escape(error)}</p>'
    elif not stories:
        body = '<p class="notice">No stories match yet.</p>' if flt.as_query() else \
            '<p class="notice">No stories yet: publish something with <code>wirestream up</code>.</p>'
    else:
        body = "".join(story_card(s, now) for s in stories)
    return head + body


def _select(name: str, label: str, options: list[str], current: str | None) -> str:
    opts = ['<option value="">all</option>'] + [
        f'<option value="{escape(o)}"{" selected" if o == current else ""}>{escape(o)}</option>'
        for o in options]
    if current and current not in options:
        opts.append(f'<option value="{escape(current)}" selected>{escape(current)}</option>')
    return (f'<div class="field"><label for="f-{name}">{escape(label)}</label>'
            f'<select id="f-{name}" name="{name}">{"".join(opts)}</select></div>')


def filter_form(options: dict[str, list[str]], flt: StoryFilter) -> str:
    return (
        '<form class="filters" method="get" action="/" role="search" aria-label="Filter stories">'
        + _select("source", "Source", options.get("source", []), flt.source)
        + _select("language", "Language", options.get("language", []), flt.language)
        + _select("place", "Place", options.get("place", []), flt.place)
        + '<div class="field actions"><button type="submit">Apply filters</button>'
        '<a href="/">Clear</a></div></form>'
    )


def index_page(stories: list[dict], options: dict, flt: StoryFilter, error: str | None = None) -> str:
    qs = urlencode(flt.as_query())
    partial = "/partials/stories" + (f"?{qs}" if qs else "")
    main = (
        '<h1>Live wire stories</h1>'
        '<p class="lede">Newest activity first. Each story lists its chain of updates in time order.</p>'
        + filter_form(options, flt)
        + f'<section id="stories" class="stories" aria-labelledby="stories-h" data-partial="{escape(partial)}">'
        + story_list(stories, flt, error) + "</section>"
    )
    return page("wirestream — stories", main)


def evidence_block(item: dict) -> str:
    ev = item.get("evidence")
    score = item.get("score")
    score_txt = f"{float(score):.3f}" if isinstance(score, int | float) else "?"
    pretty = orjson.dumps(ev, option=orjson.OPT_INDENT_2).decode() if isinstance(ev, dict | list) else str(ev or "")
    return (f'<details class="evidence"><summary>Evidence, score {escape(score_txt)}</summary>'
            f'<pre>{escape(pretty)}</pre></details>')


def timeline_item(item: dict) -> str:
    dateline = f'<span class="dateline">{escape(item["dateline"])}</span> ' if item.get("dateline") else ""
    meta = " · ".join(x for x in (
        "/".join(item.get("agencies") or []), ", ".join(item.get("places") or []),
        item.get("language") or "", item.get("source") or "") if x)
    rel = escape(item.get("relation") or "")
    return (
        f'<li class="item rel-{rel}" data-item-id="{escape(item["item_id"])}">'
        f'<h3>{_time(item.get("published_at"), _clock(item.get("published_at")), " data-clock")} '
        f'{badge(item.get("relation") or "")} {dateline}<span class="headline">{escape(item.get("headline") or "")}'
        f'</span></h3><p class="meta">{escape(meta)} · score {escape(str(round(float(item.get("score") or 0), 3)))}'
        f' · story version {escape(str(item.get("story_version", "?")))}</p>'
        + (f'<p class="body">{escape(item["body"])}</p>' if item.get("body") else "")
        + evidence_block(item) + "</li>"
    )


def story_body(story: dict, now: datetime | None = None) -> str:
    """The part of the story page that is swapped live."""
    facts = [
        ("First published", _time(story.get("first_published_at"), _clock(story.get("first_published_at")),
                                   " data-clock")),
        ("Last update", _time(story.get("last_published_at"), ago(story.get("last_published_at"), now),
                              " data-ago")),
        ("Items", escape(str(story.get("item_count", len(story.get("items") or []))))),
        ("Agencies", escape(", ".join(story.get("agencies") or []) or "—")),
        ("Places", escape(", ".join(story.get("places") or []) or "—")),
        ("Languages", escape(", ".join(story.get("languages") or []) or "—")),
        ("Sources", escape(", ".join(story.get("sources") or []) or "—")),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    items = "".join(timeline_item(i) for i in story.get("items") or [])
    return (f'<dl class="facts">{dl}</dl><h2 id="timeline-h">Timeline</h2>'
            f'<ol class="timeline" aria-labelledby="timeline-h">{items}</ol>')


def story_page(story: dict | None, story_id: str, error: str | None = None) -> str:
    if story is None:
        msg = error or f"No story {story_id}."
        return page("wirestream — story not found",
                    f'<h1>Story not found</h1><p class="notice" role="alert">{escape(msg)}</p>'
                    '<p><a href="/">Back to all stories</a></p>')
    sid = quote(story["story_id"])
    main = (f'<p class="crumbs"><a href="/">← All stories</a></p>'
            f'<h1>{escape(story.get("headline") or "")}</h1>'
            f'<section id="story" data-partial="/partials/story/{sid}" data-story-id="{escape(story["story_id"])}">'
            f'{story_body(story)}</section>')
    return page(f"wirestream — {story.get('headline') or story_id}", main)


def page(title: str, main: str) -> str:
    return _PAGE.substitute(title=escape(title), main=main)
