"""Evidence an editor can read: why an item joined (or did not join) a story, in words, with
the shared names, places and terms highlighted in both texts. Pure functions, escaped HTML out.

The story engine records ``similarity``, ``time_gap_hours``, ``shared_places``,
``shared_terms`` (stems: they are matched as word prefixes), ``candidates`` (how many stories
it looked at) and, for copies, ``matched_item`` / ``simhash_bits``.
"""

from __future__ import annotations

import re
from html import escape


def shared_words(evidence: dict | None) -> list[str]:
    if not isinstance(evidence, dict):
        return []
    words = [*(evidence.get("shared_places") or []), *(evidence.get("shared_terms") or [])]
    return sorted({str(w).strip().lower() for w in words if str(w).strip()}, key=lambda w: (-len(w), w))


def highlight(text: str, words: list[str]) -> str:
    """Escape ``text`` and wrap every word starting with one of ``words`` in ``<mark>``."""
    if not text:
        return ""
    if not words:
        return escape(text)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def as_found(words: list[str], text: str) -> list[str]:
    """Stems as the reader sees them: the first word in ``text`` each one begins (else the stem)."""
    out = []
    for w in words:
        m = re.search(r"\b" + re.escape(w) + r"\w*", text, re.IGNORECASE)
        found = m.group(0).lower() if m else w
        if found not in out:
            out.append(found)
    return out


def similarity_words(value) -> str:
    if not isinstance(value, int | float):
        return "no similarity recorded"
    pct = round(float(value) * 100)
    kind = ("nearly the same text" if value >= 0.8 else "very similar" if value >= 0.5 else
            "similar" if value >= 0.3 else "somewhat similar" if value >= 0.15 else "barely similar")
    return f"{kind} ({pct}% text similarity)"


def gap_words(hours) -> str:
    """How far the item lies outside the story's time span, in words."""
    if not isinstance(hours, int | float):
        return "undated, so time was not weighed"
    minutes = float(hours) * 60
    if minutes < 1:
        return "inside the story's time span"
    if minutes < 90:
        amount = f"{round(minutes)} minute{'s' if round(minutes) != 1 else ''}"
    elif hours < 48:
        amount = f"{round(float(hours))} hours"
    else:
        amount = f"{round(float(hours) / 24)} days"
    return f"{amount} from the story's nearest update"


def explain(relation: str, evidence: dict | str | None, score) -> str:
    """One sentence (HTML) saying why the item sits in this story."""
    ev = evidence if isinstance(evidence, dict) else {}
    if relation == "duplicate":
        return f"An exact copy of item <code>{escape(str(ev.get('matched_item', '?')))}</code> already in this story."
    if relation == "revision":
        bits = ev.get("simhash_bits")
        near = f", {bits} of 64 fingerprint bits differ" if isinstance(bits, int) else ""
        return f"A revised version of item <code>{escape(str(ev.get('matched_item', '?')))}</code>{near}."
    parts = [similarity_words(ev.get("similarity")), gap_words(ev.get("time_gap_hours"))]
    places = ev.get("shared_places") or []
    if places:
        parts.append("shares " + ", ".join(escape(str(p)) for p in places))
    score_txt = f"{float(score):.2f}" if isinstance(score, int | float) else "?"
    if relation == "new":
        cands = ev.get("candidates")
        looked = f"{cands} candidate stor{'y' if cands == 1 else 'ies'} compared" if isinstance(cands, int) else ""
        best = f"; the closest was {'; '.join(parts)}" if ev.get("similarity") is not None else ""
        return f"Started a new story: none scored high enough ({looked or 'no candidates'}{best})."
    return f"Joined with score {score_txt}: " + "; ".join(parts) + "."
