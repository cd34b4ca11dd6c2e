"""Listing pages: labels after or before items, glued or on their own line, HTML or text."""

from __future__ import annotations

from producers.formats import split_document
from producers.formats.listing import find_labels

FETCHED = "2026-01-24T18:00:00+01:00"
LEAD = ("Headline of the lead\n"
        "The lead article has a first paragraph that is long enough to be a paragraph, surely.\n"
        "A second paragraph follows it.\n"
        "More from World\n")
ITEMS = ["LONDON (PA) - Train drivers will strike next week after talks broke down.",
         "PARIS (AFP) - The Louvre will close for two days for repairs to its roof.",
         "ROME (ANSA) - Italy's parliament passed the budget after a late-night vote."]
LABELS = ["2 minutes ago", "1 hour ago", "yesterday 18:04"]


def payloads(page: str, **kw) -> list[str]:
    result = split_document(page.encode(), "listing", source="world", fetched_at=FETCHED, **kw)
    assert result.errors == []
    return [i.payload.decode() for i in result.items]


def test_labels_after_items_glued_to_the_next():
    page = LEAD + ITEMS[0] + "\n" + "".join(f"{lab}{it}\n" for lab, it in zip(LABELS, ITEMS[1:] + [""], strict=True))
    got = payloads(page)
    assert got[0].startswith("Headline of the lead\n") and got[0].endswith("follows it.")
    assert got[1:] == [f"{it}\n{lab}" for it, lab in zip(ITEMS, LABELS, strict=True)]


def test_labels_before_items_on_their_own_line():
    page = LEAD + "".join(f"{lab}\n{it}\n" for lab, it in zip(LABELS, ITEMS, strict=True)) + "Footer\n"
    got = payloads(page)
    assert got[1:] == [f"{lab}\n{it}" for lab, it in zip(LABELS, ITEMS, strict=True)]


def test_page_without_labels_is_one_article():
    got = payloads("Nav\nHeadline\n" + "A paragraph that is clearly long enough to be text. " * 3)
    assert len(got) == 1 and got[0].startswith("Headline\n")


def test_find_labels_only_at_line_starts_and_not_inside_words():
    text = "Nu is het zo.\nnummer\n14 minuten geledenMINNEAPOLIS (ANP) - x\nhet was 3 uur geleden.\n1 uur geleden"
    assert [text[s.start:s.end] for s in find_labels(text)] == ["14 minuten geleden", "1 uur geleden"]


def test_html_markup_is_turned_into_text_lines():
    page = ("<html><body><h1>Lead headline</h1><p>" + "Long lead paragraph text. " * 4 + "</p>"
            "<h2>Latest</h2><ul>" + "".join(f"<li><p>{it}</p><time>{lab}</time></li>"
                                            for it, lab in zip(ITEMS, LABELS, strict=True))
            + "</ul></body></html>")
    got = payloads(page)
    assert got[0].startswith("Lead headline\nLong lead paragraph")
    assert got[1:] == [f"{it}\n{lab}" for it, lab in zip(ITEMS, LABELS, strict=True)]
