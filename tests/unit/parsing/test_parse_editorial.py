"""Editorial status carried from every format into WireItem: pubstatus, embargo, urgency,
subjects, and the ninjs 1.x ``body_xhtml`` body (issue 9.3, parse side)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from processors.parsing.editorial import status_of, subject_names, urgency_of
from schemas.models import InvalidItem
from tests.support.formats import FIXTURES, parse_file

REPO = Path(__file__).resolve().parents[3]


def test_ninjs_1x_embargo_urgency_subjects_and_body_xhtml():
    _, _, (item,), invalid = parse_file("ninjs-1x-editorial.json")
    assert invalid == []
    assert item.body == ("Die Bundesbank hat ihre Prognose für das Wachstum gesenkt. "
                         "Die Wirtschaft werde 2026 nur um 0,4 Prozent wachsen.")  # byline cut
    assert (item.status, item.embargoed_until, item.urgency) == ("usable", "2026-01-25T05:00:00Z", 3)
    assert item.subjects == ["Wirtschaft", "medtop:20000344"]  # name when given, else code; deduped
    assert (item.dateline, item.places, item.agencies) == (
        "FRANKFURT/MAIN", ["Frankfurt am Main"], ["DPA"])


def test_ninjs_2x_pubstatus_and_year_one_refused():
    _, _, (canceled, withheld), invalid = parse_file("ninjs-2x-editorial.json")
    assert (canceled.status, canceled.urgency) == ("canceled", 1)  # "1" as a string
    assert canceled.subjects == ["politics", "http://cv.iptc.org/newscodes/mediatopic/20000621"]
    assert canceled.body == "This story has been withdrawn. Please do not use it."
    assert (canceled.places, canceled.agencies) == (["London"], ["RTR"])
    assert (withheld.status, withheld.urgency) == ("withdrawn", None)  # IPTC withheld; 12 dropped
    assert withheld.agencies == ["AP"]  # apnews.com is AP's; a media company is no agency
    assert invalid == ["firstcreated date 0001-01-01 is outside the storable range "
                       "1900-01-01 .. 2299-12-31"]


def test_newsml_pubstatus_embargo_urgency_subject():
    _, _, (embargoed, withdrawn), invalid = parse_file("newsml-editorial.xml")
    assert (embargoed.status, embargoed.embargoed_until, embargoed.urgency) == (
        "usable", "2026-01-24T23:01:00Z", 4)
    assert embargoed.subjects == ["politiek", "medtop:20000621"]  # own name, not <broader>'s
    assert embargoed.places == ["Moscow"]  # <located><name>Moskou</name>
    assert (withdrawn.status, withdrawn.urgency) == ("withdrawn", 9)
    assert (withdrawn.dateline, withdrawn.places) == ("MINNEAPOLIS, Minn.", ["Minneapolis"])
    assert invalid == ["embargo date 2400-01-01 is outside the storable range 1900-01-01 .. 2299-12-31"]


def test_rss_and_atom_categories_become_subjects():
    _, _, (fire, crash), invalid = parse_file("rss-categories.xml")
    assert fire.subjects == ["Panorama", "Brand", "Feuerwehr"]  # <category> and dc:subject
    assert crash.subjects == ["Verkehr"]
    assert crash.agencies == ["DPA", "AFP"]  # not "Maria Schmidt", not "www.ndr.de"
    assert invalid == ["unparseable pubDate date 'Sat, 01 Jan 0000 00:00:00 +0000' "
                       "(year 0000 is not a date)"]
    _, _, (court,), _ = parse_file("atom-categories.xml")
    assert court.subjects == ["Politics", "courts"]  # label, else term
    assert (court.status, court.embargoed_until, court.urgency) == ("usable", None, None)


def test_jsonl_carries_editorial_fields():
    from processors.parsing import parse_raw_item
    from schemas.models import RawMeta

    meta = RawMeta(source="archive", format="jsonl", fetched_at="2026-01-24T18:00:00+01:00")
    line = orjson.dumps({"headline": "h", "body": "b", "published_at": "2026-01-24T10:00:00Z",
                         "status": "withdrawn", "embargoed_until": "2026-01-24T12:00:00Z",
                         "urgency": 2, "subjects": ["sport", {"name": "voetbal"}]})
    item = parse_raw_item(line, meta)
    assert (item.status, item.embargoed_until, item.urgency, item.subjects) == (
        "withdrawn", "2026-01-24T12:00:00Z", 2, ["sport", "voetbal"])


@pytest.mark.parametrize(("value", "status"), [
    (None, "usable"), ("", "usable"), ("usable", "usable"), ("stat:usable", "usable"),
    ("stat:withheld", "withdrawn"), ("Withdrawn", "withdrawn"), ("cancelled", "canceled"),
    ("http://cv.iptc.org/newscodes/pubstatusg2/canceled", "canceled"),
])
def test_status_readings(value, status):
    assert status_of(value) == status


@pytest.mark.parametrize("value", ["published", "stat:maybe", 3, ["usable"]])
def test_unknown_status_is_refused_not_guessed(value):
    with pytest.raises(InvalidItem, match="pubstatus"):
        status_of(value)


def test_urgency_and_subject_edges():
    assert [urgency_of(v) for v in (1, "9", " 5 ", 0, 10, -1, "x", True, 3.0, None)] == [
        1, 9, 5, None, None, None, None, None, None, None]
    assert subject_names(["a", " a ", "", None, 7, {"qcode": "medtop:1"}, {"term": "t"}]) == [
        "a", "medtop:1", "t"]
    assert len(subject_names([f"s{i}" for i in range(500)])) == 50


def test_console_parse_dead_letters_year_one_and_prints_status():
    """``wirestream parse`` as a user runs it: good items printed with their status, the year-1
    item refused with its reason, exit 2 (bad input, good items still printed)."""
    proc = subprocess.run(
        [sys.executable, "-m", "wirestream.cli", "parse", str(FIXTURES / "ninjs-2x-editorial.json"),
         "--source", "wire", "--fetched-at", "2026-01-24T18:00:00+01:00"],
        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2, proc.stderr
    records = [orjson.loads(line) for line in proc.stdout.splitlines()]
    assert sorted((r["guid"], r["status"]) for r in records) == [  # printed oldest first
        ("urn:example:ninjs2:kill-1", "canceled"), ("urn:example:ninjs2:withheld-1", "withdrawn")]
    assert "year-one: firstcreated date 0001-01-01 is outside the storable range" in proc.stderr
