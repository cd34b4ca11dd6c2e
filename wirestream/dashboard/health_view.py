"""The pipeline health strip (on every page) and the dead-letter view.

Values carry ``data-value`` with the raw number so scripts and tests read what is shown
without parsing words; missing readings say "n/a" rather than pretending to be zero.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

from wirestream.dashboard.render import page, time_tag, when
from wirestream.dashboard.river import sparkline

STATE_TEXT = {"ready": "Sink running", "not ready": "Sink not ready", "paused": "Sink paused",
              "stuck": "Sink stuck", "down": "Sink not reachable"}


def seconds(value) -> str:
    if not isinstance(value, int | float):
        return "n/a"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s" if value < 60 else f"{value / 60:.1f} min"


def _stat(key: str, label: str, text: str, value, extra: str = "") -> str:
    data = "" if value is None else f' data-value="{escape(str(value))}"'
    return (f'<div class="stat" id="h-{key}"><span class="k">{escape(label)}</span> '
            f'<span class="v"{data}>{escape(text)}</span>{extra}</div>')


def health_strip(sink: dict, counts: dict | None, error: str | None = None) -> str:
    state = sink.get("sink", "down")
    why = sink.get("stuck_reason") or "; ".join(sink.get("reasons") or []) or sink.get("error") or ""
    level = "ok" if state == "ready" else "bad" if state in ("stuck", "down") else "warn"
    parts = [
        f'<div class="stat sink {level}" id="h-sink" data-state="{escape(state)}"><span class="dot" aria-hidden="true">'
        f'</span><span class="v">{escape(STATE_TEXT.get(state, state))}</span>'
        + (f' <span class="why">{escape(why)}</span>' if why and state != "ready" else "") + "</div>",
        _stat("p50", "Freshness p50", seconds(sink.get("freshness_p50")), sink.get("freshness_p50")),
        _stat("p99", "p99", seconds(sink.get("freshness_p99")), sink.get("freshness_p99")),
    ]
    lag = sink.get("lag")
    if lag:
        for stage, n in lag.items():
            parts.append(_stat(f"lag-{stage}", f"Lag {stage}", f"{n:,}", n))
    else:
        parts.append(_stat("lag", "Lag", "n/a", None))
    if counts is None:
        parts.append(_stat("ipm", "Items/min", "n/a", None))
        parts.append(_stat("dlq", "Dead letters 1 h", "n/a", None))
    else:
        per_min = counts.get("items_per_minute") or []
        last = per_min[-1] if per_min else 0
        parts.append(_stat("ipm", "Items/min", str(last), last,
                           sparkline(per_min, "Items stored per minute, last 30 min", 60, 14)))
        dl = int(counts.get("dead_letters_1h") or 0)
        parts.append(f'<div class="stat{" warn" if dl else ""}" id="h-dlq"><span class="k">Dead letters 1 h</span> '
                     f'<a class="v" href="/dlq" data-value="{dl}">{dl}</a></div>')
    if error:
        parts.append(f'<div class="stat bad"><span class="why">{escape(error)}</span></div>')
    return "".join(parts)


def dead_letter_page(letters: list[dict] | None, error: str | None, health: str = "",
                     now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if error:
        body = f'<p class="notice" role="alert">{escape(error)}</p>'
    elif not letters:
        body = '<p class="notice">No dead letters: every item so far was processed.</p>'
    else:
        rows = []
        for d in letters:
            key = f'{quote(d["dlq_topic"])}/{int(d["dlq_partition"])}/{int(d["dlq_offset"])}'
            origin = f'{d.get("origin_topic") or "?"} [{d.get("origin_partition")}] @{d.get("origin_offset")}'
            rows.append(
                f'<tr><td>{time_tag(d.get("failed_at"), when(d.get("failed_at"), now))}</td>'
                f'<td>{escape(d.get("stage") or "")}</td><td class="reason">{escape(d.get("reason") or "")}</td>'
                f'<td><code>{escape(origin)}</code></td>'
                f'<td><a href="/dlq/{key}/original" download>{int(d.get("size") or 0):,} bytes</a></td></tr>')
        body = ('<div class="table-wrap"><table class="dlq"><caption class="sr">Dead letters, newest first</caption>'
                '<thead><tr><th scope="col">Failed (UTC)</th><th scope="col">Stage</th><th scope="col">Reason</th>'
                '<th scope="col">Origin</th><th scope="col">Original</th></tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table></div>')
    main = ('<p class="crumbs"><a href="/">← All stories</a></p><h1>Dead letters</h1>'
            '<p class="small">Items a stage could not process, with the reason and the original bytes '
            'exactly as received (download to inspect or replay).</p>' + body)
    return page("wirestream — dead letters", main, health)
