"""Split a listing page (text, or HTML turned into text) into a lead article and feed items.

A feed item is ``DATELINE (AGENCY) - text`` (or any paragraph) with an age label on one
side: labels *after* items ("...overheid.\\n14 minuten geledenMINNEAPOLIS ...") or *before*
them ("5 hours ago\\nWASHINGTON (AP) - ..."). Which side is decided per page from where the
text around the first and last label looks like an item. Everything before the feed is the
lead region: a headline line, then paragraphs; short trailing lines ("Meer uit Buitenland")
and short leading lines (navigation) are page furniture and are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from producers.formats.base import DocumentContext, SplitResult
from wirecore.byline import BYLINE
from wirecore.dates import match_label
from wirecore.identity import item_guid, split_label
from wirecore.text import decode_text, html_to_text, looks_like_html

_ITEMLIKE_CHARS = 40  # a line this long (with a sentence end) is text, not furniture
_PARAGRAPH_CHARS = 80
_HEADLINE_MAX = 200
_SENTENCE_END = re.compile(r"[.!?…\"”']\s*$")


@dataclass(slots=True, frozen=True)
class Span:
    start: int
    end: int


def page_text(data: bytes, result: SplitResult) -> str:
    text, fell_back = decode_text(data)
    if fell_back:
        result.notes.append("listing page is not valid UTF-8; undecodable bytes read as cp1252")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(text[:4096]) and re.search(r"<(html|body|div|p|li|article)\b", text, re.I):
        text = "\n".join(filter(None, html_to_text(text, keep_lines=True).split("\n")))
    return text


def find_labels(text: str) -> list[Span]:
    """Age labels at the start of a line: the whole line, or glued to the next item's text."""
    labels = []
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        m = match_label(text, pos)
        if m is not None:
            line_end = text.find("\n", m.end())
            line_end = len(text) if line_end < 0 else line_end
            whole = not text[m.end() : line_end].strip()
            if whole or not text[m.end()].isspace():
                labels.append(Span(m.start(), m.end()))
        nl = text.find("\n", pos)
        if nl < 0:
            break
        pos = nl + 1
    return labels


def _lines(text: str, start: int, end: int) -> list[Span]:
    """Non-empty lines of text[start:end] as spans (stripped)."""
    spans, pos = [], start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append(Span(pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return spans


def _itemlike(line: str) -> bool:
    return len(line) >= _ITEMLIKE_CHARS and any(c.isalpha() for c in line)


def _is_paragraph(line: str) -> bool:
    return len(line) >= _PARAGRAPH_CHARS or (
        len(line) >= _ITEMLIKE_CHARS and _SENTENCE_END.search(line) is not None)


def _ends_sentence(line: str) -> bool:
    return _SENTENCE_END.search(line) is not None or len(line) >= _PARAGRAPH_CHARS


def _labels_after(text: str, labels: list[Span]) -> bool:
    before = _lines(text, 0, labels[0].start)
    last_before = text[before[-1].start : before[-1].end] if before else ""
    trailing = text[labels[-1].end :].strip()
    first_trailing = trailing.split("\n", 1)[0]
    a, b = _itemlike(last_before), _itemlike(first_trailing)
    if a != b:
        return a
    return BYLINE.match(first_trailing) is None


def _lead_span(text: str, end: int) -> Span | None:
    """Headline line + paragraphs in text[:end], without furniture around them."""
    lines = _lines(text, 0, end)
    while lines and not _ends_sentence(text[lines[-1].start : lines[-1].end]):
        lines.pop()  # section header(s) such as "Meer uit Buitenland"
    first_par = next(
        (i for i, s in enumerate(lines) if _is_paragraph(text[s.start : s.end])), None)
    if first_par is None:
        return None
    start = first_par
    if first_par > 0 and lines[first_par - 1].end - lines[first_par - 1].start <= _HEADLINE_MAX:
        start = first_par - 1
    return Span(lines[start].start, lines[-1].end)


def _cut_first_item(text: str, seg_end: int, others: list[Span]) -> int:
    """Start of the first feed item, which shares its segment with the lead region."""
    lines = _lines(text, 0, seg_end)
    if not lines:
        return 0
    sizes = sorted(len(_lines(text, s.start, s.end)) for s in others) or [1]
    k = max(1, sizes[len(sizes) // 2])
    with_byline = sum(1 for s in others if BYLINE.match(text[s.start : s.end].lstrip()))
    if others and with_byline * 2 >= len(others):
        for span in reversed(lines[-(k + 1) :]):
            if BYLINE.match(text[span.start : span.end]):
                return span.start
    return lines[max(0, len(lines) - k)].start


def listing_spans(text: str) -> tuple[Span | None, list[Span]]:
    """(lead, feed items) of a listing page's text; each feed item span includes its label."""
    labels = find_labels(text)
    if not labels:
        return _lead_span(text, len(text)), []
    items: list[Span] = []
    if _labels_after(text, labels):
        for prev, label in zip(labels, labels[1:], strict=False):
            items.append(Span(prev.end, label.end))
        first_start = _cut_first_item(text, labels[0].start, items)
        items.insert(0, Span(first_start, labels[0].end))
        lead_end = first_start
    else:
        for label, nxt in zip(labels, labels[1:], strict=False):
            items.append(Span(label.start, nxt.start))
        tail = _lines(text, labels[-1].start, len(text))
        sizes = sorted(len(_lines(text, s.start, s.end)) for s in items) or [len(tail)]
        k = max(1, sizes[len(sizes) // 2])
        if tail:
            items.append(Span(labels[-1].start, tail[min(k, len(tail)) - 1].end))
        lead_end = labels[0].start
    return _lead_span(text, lead_end), items


def split_listing(data: bytes, ctx: DocumentContext) -> SplitResult:
    result = SplitResult()
    text = page_text(data, result)
    lead, spans = listing_spans(text)
    for span in ([lead] if lead else []) + spans:
        raw = text[span.start : span.end].strip()
        _, content = split_label(raw)
        if not content.strip():
            result.errors.append(("empty listing item (age label only)", raw.encode()))
            continue
        key = item_guid(ctx.source, content)
        result.items.append(ctx.item(key, raw.encode("utf-8", "surrogatepass")))
    if not result.items and not result.errors:
        result.errors.append(("listing page has no lead article and no feed items", data[:4096]))
    return result
