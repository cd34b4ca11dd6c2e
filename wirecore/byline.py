"""Datelines and agency bylines: ``WASHINGTON/ABU DHABI (ANP/AFP) - text``.

Also Reuters/AP style: ``LONDON, Jan 24 (Reuters) -`` and ``MINNEAPOLIS (AP) —``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_UP = "A-ZÀ-ÖØ-Þ"
BYLINE = re.compile(
    rf"^(?P<dateline>[{_UP}'’][{_UP}'’.\-]*(?:[ /][{_UP}'’][{_UP}'’.\-]*)*)"
    r"(?:,[^()\n]{1,40}?)?"
    r"\s*\((?P<agencies>[A-Za-z][A-Za-z0-9 .&/,+\-]{0,60})\)"
    r"\s*[-–—:]+\s*"
)

AGENCY_CODES = {
    "ANP": "ANP", "AFP": "AFP", "AGENCE FRANCE-PRESSE": "AFP", "AGENCE FRANCE PRESSE": "AFP",
    "RTR": "RTR", "REUTERS": "RTR", "THOMSON REUTERS": "RTR",
    "AP": "AP", "ASSOCIATED PRESS": "AP", "THE ASSOCIATED PRESS": "AP",
    "DPA": "DPA", "DEUTSCHE PRESSE-AGENTUR": "DPA", "BELGA": "BELGA",
    "EFE": "EFE", "ANSA": "ANSA", "TASS": "TASS", "XINHUA": "XINHUA", "KYODO": "KYODO",
    "BLOOMBERG": "BLOOMBERG", "UPI": "UPI", "PA": "PA", "PA MEDIA": "PA", "NTB": "NTB",
    "TT": "TT", "APA": "APA", "SDA": "SDA", "KEYSTONE-SDA": "SDA", "AAP": "AAP",
    "CP": "CP", "THE CANADIAN PRESS": "CP", "RITZAU": "RITZAU", "PAP": "PAP", "CTK": "CTK",
}
_SPLIT = re.compile(r"\s*(?:/|,|&|\+|\band\b|\ben\b)\s*", re.I)
_PLACE_SPLIT = re.compile(r"\s*[/,]\s*")


@dataclass(slots=True)
class Byline:
    dateline: str
    places: list[str]
    agencies: list[str]
    end: int  # offset of the text after the byline


def canonical_agencies(names) -> list[str]:
    """Canonical codes, in order, without duplicates: ``"ANP/AFP/Reuters"`` -> ANP, AFP, RTR."""
    if isinstance(names, str):
        return list(_agencies_of(names))
    return _canonical(names)


@functools.lru_cache(maxsize=1024)
def _agencies_of(text: str) -> tuple[str, ...]:
    return tuple(_canonical(_SPLIT.split(text)))


def _canonical(names) -> list[str]:
    out: list[str] = []
    for name in names:
        key = " ".join(str(name).split()).upper().strip(" .")
        if not key:
            continue
        code = AGENCY_CODES.get(key) or AGENCY_CODES.get(key.removeprefix("NPROV:")) or key
        if code not in out:
            out.append(code)
    return out


def title_place(place: str) -> str:
    """``ABU DHABI`` -> ``Abu Dhabi``; ``'S-HERTOGENBOSCH`` -> ``'s-Hertogenbosch``."""
    words = []
    for word in place.split():
        low = word.lower()
        if low.startswith(("'s-", "’s-")):
            words.append(low[:3] + low[3:].capitalize())
        else:
            words.append("-".join(p[:1].upper() + p[1:] for p in low.split("-")))
    return " ".join(words)


def places_of(dateline: str) -> list[str]:
    return list(_places_of(dateline))


@functools.lru_cache(maxsize=4096)
def _places_of(dateline: str) -> tuple[str, ...]:
    return tuple(title_place(p) for p in _PLACE_SPLIT.split(dateline.strip()) if p.strip())


def parse_byline(text: str) -> Byline | None:
    """The byline at the start of ``text``, or None."""
    m = BYLINE.match(text)
    if m is None:
        return None
    dateline = m.group("dateline").strip()
    agencies = canonical_agencies(m.group("agencies"))
    if not agencies:
        return None
    return Byline(dateline, places_of(dateline), agencies, m.end())
