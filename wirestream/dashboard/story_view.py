"""The story page: facts, then every visible item in time order with its evidence in words,
the texts compared side by side with shared words highlighted, the competing stories, links
to the originals, and the raw evidence JSON behind a toggle."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

import orjson

from wirestream.dashboard.evidence import as_found, explain, highlight, shared_words
from wirestream.dashboard.render import ago, badge, original_link, page, time_tag, when


def _text(item: dict, words: list[str], limit: int = 700) -> str:
    body = item.get("body") or ""
    body = body if len(body) <= limit else body[:limit].rsplit(" ", 1)[0] + " …"
    return (f'<p class="cmp-h">{highlight(item.get("headline") or "", words)}</p>'
            f'<p class="cmp-b">{highlight(body, words)}</p>')


def competition(item: dict, story_id: str) -> str:
    ev = item.get("evidence") if isinstance(item.get("evidence"), dict) else {}
    rows = []
    best = ev.get("story_id")
    if best and best != story_id:
        rows.append(f'<li>best other match: <a href="/story/{quote(best)}">'
                    f'{escape(ev.get("story_headline") or best)}</a></li>')
    for s in item.get("nearby") or []:
        n = int(s.get("items") or 0)
        rows.append(f'<li><a href="/story/{quote(s["story_id"])}">{escape(s.get("headline") or s["story_id"])}</a>'
                    f' <span class="small">({n} item{"" if n == 1 else "s"} within 12 h, same place)</span></li>')
    cands = ev.get("candidates")
    head = f"{cands} candidate stories compared" if isinstance(cands, int) else "Competing stories"
    if not rows:
        return f'<p class="small comp">{escape(head)}; no other story nearby shares a place.</p>'
    return f'<div class="comp"><p class="small">{escape(head)}. Nearby stories:</p><ul>{"".join(rows)}</ul></div>'


def timeline_item(item: dict, previous: dict | None, story_id: str, now: datetime) -> str:
    ev = item.get("evidence")
    words = shared_words(ev)
    rel = item.get("relation") or ""
    meta = " · ".join(x for x in (
        "/".join(item.get("agencies") or []), ", ".join(item.get("places") or []),
        item.get("language") or "", item.get("source") or "") if x)
    at = item.get("published_at")
    shown = as_found(words, f'{item.get("headline") or ""} {item.get("body") or ""}')
    if previous is not None and rel in ("update", "revision", "duplicate"):
        compare = (f'<div class="compare"><div><p class="small">This item</p>{_text(item, words)}</div>'
                   f'<div><p class="small">Story before it ({escape(when(previous.get("published_at"), now))})</p>'
                   f'{_text(previous, words)}</div></div>')
    else:
        compare = f'<div class="single">{_text(item, words)}</div>'
    raw = orjson.dumps(ev, option=orjson.OPT_INDENT_2).decode() if isinstance(ev, dict | list) else str(ev or "")
    return (
        f'<li class="item rel-{escape(rel)}" data-item-id="{escape(item["item_id"])}">'
        f'<h3>{time_tag(at, when(at, now), " data-when")} {badge(rel)} '
        f'<span class="headline">{escape(item.get("headline") or "")}</span></h3>'
        f'<p class="meta">{escape(meta)} {original_link(item.get("url"), "read the original")}</p>'
        f'<p class="why">{explain(rel, ev, item.get("score"))}</p>'
        + (f'<p class="small">Shared: {", ".join(f"<mark>{escape(w)}</mark>" for w in shown)}</p>' if words else "")
        + compare + competition(item, story_id)
        + f'<details class="evidence"><summary>Raw evidence JSON</summary><pre>{escape(raw)}</pre></details></li>'
    )


def story_body(story: dict, now: datetime | None = None) -> str:
    """The part of the story page that is swapped live."""
    now = now or datetime.now(UTC)
    first, last = story.get("first_published_at"), story.get("last_published_at")
    facts = [
        ("First published", time_tag(first, when(first, now) + " UTC", " data-when")),
        ("Last update", time_tag(last, ago(last, now), " data-ago")),
        ("Items", escape(str(story.get("item_count", len(story.get("items") or []))))),
        ("Agencies", escape(", ".join(story.get("agencies") or []) or "—")),
        ("Places", escape(", ".join(story.get("places") or []) or "—")),
        ("Languages", escape(", ".join(story.get("languages") or []) or "—")),
        ("Sources", escape(", ".join(story.get("sources") or []) or "—")),
    ]
    dl = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    items = story.get("items") or []
    rows = "".join(timeline_item(i, items[n - 1] if n else None, story["story_id"], now)
                   for n, i in enumerate(items))
    return (f'<dl class="facts">{dl}</dl><h2 id="timeline-h">Timeline</h2>'
            f'<ol class="timeline" aria-labelledby="timeline-h">{rows}</ol>')


def story_page(story: dict | None, story_id: str, error: str | None = None, health: str = "") -> str:
    if story is None:
        msg = error or f"No story {story_id} (or none of its items may be shown yet)."
        return page("wirestream — story not found",
                    f'<h1>Story not found</h1><p class="notice" role="alert">{escape(msg)}</p>'
                    '<p><a href="/">Back to all stories</a></p>', health)
    sid = quote(story["story_id"])
    main = (f'<p class="crumbs"><a href="/">← All stories</a></p>'
            f'<h1>{escape(story.get("headline") or "")}</h1>'
            f'<section id="story" data-partial="/partials/story/{sid}" data-story-id="{escape(story["story_id"])}">'
            f'{story_body(story)}</section>')
    return page(f"wirestream — {story.get('headline') or story_id}", main, health)
