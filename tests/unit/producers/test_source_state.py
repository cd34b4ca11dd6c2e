"""Per-source state: unchanged items are skipped, changed items with the same key republished."""

from __future__ import annotations

from producers.formats import split_document
from producers.state import SourceState, fingerprint
from schemas.models import RawItem, RawMeta


def item(key: str, payload: bytes, fmt: str = "rss", source: str = "s") -> RawItem:
    return RawItem(key, payload, RawMeta(source=source, format=fmt, fetched_at="2026-01-24T17:00:00Z"))


def test_unchanged_skipped_changed_republished_as_revision(tmp_path):
    state = SourceState(tmp_path / "state.sqlite")
    first = [item("a", b"<item>1</item>"), item("b", b"<item>2</item>")]
    assert state.changed(first) == first
    state.record(first)
    assert state.changed(first) == []
    edited = item("a", b"<item>1 corrected</item>")
    assert state.changed([edited, first[1]]) == [edited]
    state.record([edited])
    assert (state.revision("s", "a"), state.revision("s", "b")) == (1, 0)
    state.close()
    reopened = SourceState(tmp_path / "state.sqlite")  # survives a restart
    assert reopened.changed([edited, first[1]]) == []


def test_same_key_on_another_source_is_separate(tmp_path):
    state = SourceState(tmp_path / "s.sqlite")
    state.record([item("a", b"x", source="one")])
    other = item("a", b"x", source="two")
    assert state.changed([other]) == [other]


def test_listing_age_label_is_not_a_change():
    a = item("k", b"WASHINGTON (ANP) - Tekst.\n14 minuten geleden", "listing")
    b = item("k", b"WASHINGTON (ANP) - Tekst.\n24 minuten geleden", "listing")
    c = item("k", b"WASHINGTON (ANP) - Andere tekst.\n24 minuten geleden", "listing")
    assert fingerprint(a) == fingerprint(b) != fingerprint(c)


def test_refetched_page_publishes_nothing_new(tmp_path):
    page = ("Kop\nDit is de eerste alinea van het hoofdartikel, lang genoeg voor een alinea.\n"
            "Meer\nPARIJS (ANP/AFP) - Een bericht.\n5 minuten geleden")
    state = SourceState(tmp_path / "s.sqlite")
    first = split_document(page.encode(), "listing", source="anp", fetched_at="2026-01-24T17:00:00Z")
    state.record(state.changed(first.items))
    later = split_document(page.replace("5 minuten", "15 minuten").encode(), "listing",
                           source="anp", fetched_at="2026-01-24T17:10:00Z")
    assert len(later.items) == 2 and state.changed(later.items) == []


def test_http_validators(tmp_path):
    state = SourceState(tmp_path / "s.sqlite")
    assert state.validators("https://x") == (None, None)
    state.set_validators("https://x", '"v1"', "Sat, 24 Jan 2026 17:00:00 GMT")
    state.set_validators("https://x", '"v2"', None)
    assert state.validators("https://x") == ('"v2"', None)


def test_select_changed_reads_a_repeated_key_as_its_history():
    """Pure: items of one document against each key's last published fingerprint."""
    from producers.state import select_changed

    v1, v2, r2 = item("r1", b"<item>1</item>"), item("r1", b"<item>2</item>"), item("r2", b"r2")
    flip = [v1, v2, v1, r2]
    assert select_changed(flip, {}) == flip  # first run: the history in order, once
    last = {("s", "r1"): fingerprint(v1), ("s", "r2"): fingerprint(r2)}
    assert select_changed(flip, last) == []  # the document's last version is out: nothing
    after_v2 = {("s", "r1"): fingerprint(v2), ("s", "r2"): fingerprint(r2)}
    assert select_changed(flip, after_v2) == [flip[2]]  # only what came after v2
    assert select_changed([v1, v1, v1], {}) == [v1]  # exact repeats: one item
    assert select_changed([v1, v1, v2], {("s", "r1"): fingerprint(v1)}) == [v2]
    other = item("r1", b"<item>1</item>", source="t")  # same key, other source: separate
    assert select_changed([v1, other], {("s", "r1"): fingerprint(v1)}) == [other]
