"""The story river: one compact row per story (a ``<details>``) that expands in place to its
chain of updates. Dense on purpose: an editor keeps a dozen-plus stories in view at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import quote

from wirestream.dashboard.data import StoryFilter
from wirestream.dashboard.render import ago, badge, original_link, parse_time, time_tag, when

RECENT = timedelta(minutes=5)  # a row changed this recently carries the "new" marker
HEAD = ('<div class="river-head" aria-hidden="true"><span></span><span>Updated</span><span>Story</span>'
        '<span class="num">Items</span><span>Lang</span><span>Agencies</span><span>Places</span>'
        '<span>First – last (UTC)</span><span>Items/h, 24 h</span></div>')


def sparkline(values: list[int], label: str, width: int = 96, height: int = 18) -> str:
    """Inline SVG bars, one per bucket, scaled to the busiest bucket; an empty axis stays flat."""
    n = max(len(values), 1)
    step = width / n
    peak = max(values or [0])
    bars = []
    for i, v in enumerate(values):
        if v <= 0:
            continue
        h = max(2.0, (height - 2) * v / peak)
        bars.append(f'<rect x="{i * step:.1f}" y="{height - h:.1f}" width="{max(step - 1, 1):.1f}" height="{h:.1f}"/>')
    total = sum(values)
    text = f"{label}: {total} in total, at most {peak} in one bucket"
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img"'
            f' aria-label="{escape(text)}"><title>{escape(text)}</title>'
            f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" class="axis"/>{"".join(bars)}</svg>')


def _labels(values: list[str], keep: int) -> str:
    shown = ", ".join(values[:keep])
    more = f" +{len(values) - keep}" if len(values) > keep else ""
    return escape(shown + more) or "—"


def time_span(first, last, now: datetime) -> str:
    """``24 Jan 12:00 – 16:46``: the second date is left out when both fall on the same day."""
    a, b = when(first, now), when(last, now)
    t1, t2 = parse_time(first), parse_time(last)
    if a == b:
        return a
    if t1 and t2 and t1.date() == t2.date():
        return f"{a} – {t2.astimezone(UTC).strftime('%H:%M')}"
    return f"{a} – {b}"


def chain_item(item: dict, now: datetime | None = None) -> str:
    dateline = f'<span class="dateline">{escape(item["dateline"])}</span> ' if item.get("dateline") else ""
    agencies = "/".join(item.get("agencies") or [])
    rel = escape(item.get("relation") or "")
    at = item.get("published_at")
    return (
        f'<li class="item rel-{rel}" data-item-id="{escape(item["item_id"])}">'
        f'{time_tag(at, when(at, now), " data-when")} {badge(item.get("relation") or "")} {dateline}'
        f'<span class="headline">{escape(item.get("headline") or "")}</span>'
        + (f' <span class="agencies">{escape(agencies)}</span>' if agencies else "")
        + (f' <span class="src">{escape(item["source"])}</span>' if item.get("source") else "")
        + f' {original_link(item.get("url"))}</li>'
    )


def story_row(story: dict, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    sid = escape(story["story_id"])
    n = int(story.get("item_count") or len(story.get("items") or []))
    first, last = story.get("first_published_at"), story.get("last_published_at")
    changed = parse_time(story.get("changed_at"))
    recent = changed is not None and now - changed <= RECENT
    changed_iso = changed.isoformat().replace("+00:00", "Z") if changed else ""
    span = time_span(first, last, now)
    spark = sparkline(story.get("activity") or [], "Items per hour, last 24 h")
    chain = "".join(chain_item(i, now) for i in story.get("items") or [])
    return (
        f'<details class="row{" recent" if recent else ""}" id="story-{sid}" data-story-id="{sid}"'
        f' data-changed="{escape(changed_iso)}">'
        f'<summary aria-describedby="m-{sid}">'
        '<span class="mark" title="changed in the last 5 minutes"><span class="sr">changed recently</span></span>'
        f'<span class="last">{time_tag(last, ago(last, now), " data-ago")}</span>'
        f'<h3 class="hl" id="h-{sid}"><a href="/story/{quote(story["story_id"])}">'
        f'{escape(story.get("headline") or "")}</a></h3>'
        f'<span class="num" title="{n} item{"s" if n != 1 else ""}">{n}</span>'
        f'<span class="lang" title="languages">{_labels(story.get("languages") or [], 3)}</span>'
        f'<span class="ag" title="{escape(", ".join(story.get("agencies") or []))}">'
        f'{_labels(story.get("agencies") or [], 2)}</span>'
        f'<span class="pl" title="{escape(", ".join(story.get("places") or []))}">'
        f'{_labels(story.get("places") or [], 2)}</span>'
        f'<span class="span" id="m-{sid}">{escape(span)}</span>{spark}</summary>'
        f'<ol class="chain" aria-label="Updates in time order">{chain}</ol></details>'
    )


def story_river(stories: list[dict], flt: StoryFilter, error: str | None = None,
                now: datetime | None = None) -> str:
    """The part of the front page that is swapped live."""
    head = f'<h2 id="stories-h">Stories <span class="count">({len(stories)})</span></h2>'
    if error:
        return head + f'<p class="notice" role="alert">{escape(error)}</p>'
    if not stories:
        if flt.as_query() or flt.range != "all":
            return head + ('<p class="notice">No stories match in this time range. '
                           '<a href="/?range=all">Show all time</a> or <a href="/">clear the filters</a>.</p>')
        return head + '<p class="notice">No stories yet: publish something with <code>wirestream up</code>.</p>'
    return head + HEAD + '<div class="river">' + "".join(story_row(s, now or flt.now) for s in stories) + "</div>"
