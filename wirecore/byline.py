"""Datelines and agency bylines: ``WASHINGTON/ABU DHABI (ANP/AFP) - text``.

Also Reuters/AP style ``LONDON, Jan 24 (Reuters) -``, ``MINNEAPOLIS, Minn. (AP) —`` and dpa
style ``New York (dpa) -`` / ``Frankfurt/Main (dpa) -``. Places are what the gazetteer
(``wirecore.places``) knows, under its canonical name: agency markers, dashes, dates, US state
abbreviations and persons never become places. Agencies come from the known list below (names,
codes, web domains of those agencies); a byline may add an unknown agency code only when its
dateline is a real place. Company names and other web domains are never agencies.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from wirecore.places import canonical_place, is_us_state_abbreviation

_UP = "A-ZÀ-ÖØ-Þ"
BYLINE = re.compile(
    rf"^(?P<dateline>[{_UP}'’][{_UP}'’.\-]*(?:[ /][{_UP}'’][{_UP}'’.\-]*)*"
    rf"|[{_UP}][\w'’.\-]*(?:[ /][{_UP}][\w'’.\-]*){{0,3}})"
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
    "KNA": "KNA", "EPD": "EPD", "AFX": "AFX", "DPA-AFX": "DPA-AFX", "STT": "STT", "BTA": "BTA",
    "MTI": "MTI", "STA": "STA", "HINA": "HINA", "TANJUG": "TANJUG", "AGERPRES": "AGERPRES",
    "LUSA": "LUSA", "EUROPA PRESS": "EUROPA PRESS", "INTERFAX": "INTERFAX", "RIA": "RIA",
    "RIA NOVOSTI": "RIA", "UKRINFORM": "UKRINFORM", "ANADOLU": "AA", "ANADOLU AGENCY": "AA",
    "YONHAP": "YONHAP", "JIJI": "JIJI", "ANTARA": "ANTARA", "BERNAMA": "BERNAMA", "PTI": "PTI",
    "IANS": "IANS", "ANI": "ANI", "IRNA": "IRNA", "WAFA": "WAFA", "MENA": "MENA", "SPA": "SPA",
    "WAM": "WAM", "KUNA": "KUNA", "QNA": "QNA", "CNA": "CNA", "NOTIMEX": "NOTIMEX",
    "TELAM": "TELAM", "PRENSA LATINA": "PRENSA LATINA", "ATS": "SDA", "NOVUM": "NOVUM",
    "GPD": "GPD", "NU.NL": "NU.NL", "ABC": "ABC", "CNN": "CNN", "BBC": "BBC", "NOS": "NOS",
}
# Web domains of the agencies above (``infosources`` often carry a URL, feeds a host name).
AGENCY_DOMAINS = {
    "reuters.com": "RTR", "thomsonreuters.com": "RTR", "apnews.com": "AP", "ap.org": "AP",
    "afp.com": "AFP", "dpa.com": "DPA", "dpa.de": "DPA", "anp.nl": "ANP", "belga.be": "BELGA",
    "efe.com": "EFE", "ansa.it": "ANSA", "tass.com": "TASS", "tass.ru": "TASS",
    "xinhuanet.com": "XINHUA", "kyodonews.net": "KYODO", "bloomberg.com": "BLOOMBERG",
    "upi.com": "UPI", "pamediagroup.com": "PA", "ntb.no": "NTB", "apa.at": "APA",
    "keystone-sda.ch": "SDA", "aap.com.au": "AAP", "thecanadianpress.com": "CP",
    "ritzau.dk": "RITZAU", "pap.pl": "PAP", "ctk.cz": "CTK", "yna.co.kr": "YONHAP",
    "aa.com.tr": "AA", "interfax.com": "INTERFAX", "ukrinform.net": "UKRINFORM",
}
_BYLINE_REACH = 240  # a byline's "(" comes within this many characters of the start
_BYLINE_CODE = re.compile(r"[A-Z]{2,6}")
_DOMAIN = re.compile(r"^(?:[a-z]+://)?(?:www\.)?(?P<host>[a-z0-9.\-]+\.[a-z]{2,})(?:[/:].*)?$")
_SPLIT = re.compile(r"\s*(?:/|,|&|\+|\band\b|\ben\b)\s*", re.I)


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
        code = agency_code(str(name))
        if code is not None and code not in out:
            out.append(code)
    return out


@functools.lru_cache(maxsize=4096)
def agency_code(name: str) -> str | None:
    """Canonical code of a known agency (name, code, ``nprov:`` qcode or web domain), else None."""
    key = " ".join(name.split()).upper().strip(" .")
    if not key:
        return None
    code = AGENCY_CODES.get(key) or AGENCY_CODES.get(key.removeprefix("NPROV:"))
    if code is not None:
        return code
    m = _DOMAIN.match(key.lower())
    if m is None:
        return None
    host = m.group("host")
    while host.count(".") >= 1:
        if host in AGENCY_DOMAINS:
            return AGENCY_DOMAINS[host]
        host = host.partition(".")[2]
    return None


def places_of(dateline: str) -> list[str]:
    """Canonical gazetteer places named in a dateline, in order, without duplicates."""
    return list(_places_of(dateline))


_MARKER = re.compile(r"\([^)]*\)|\s[-–—:]+(?:\s|$).*$|[-–—:]+\s*$")
_PLACE_SPLIT = re.compile(r"\s*[/,;]\s*")


@functools.lru_cache(maxsize=4096)
def _places_of(dateline: str) -> tuple[str, ...]:
    text = _MARKER.sub(" ", dateline)  # "(dpa)", " - text", trailing dashes
    out: list[str] = []
    for segment in _PLACE_SPLIT.split(text.strip()):
        segment = segment.strip(" -–—:")
        if not segment or is_us_state_abbreviation(segment):  # "Minn." is no town
            continue
        place = canonical_place(segment)
        if place is not None and place not in out:
            out.append(place)
    return tuple(out)


def parse_byline(text: str) -> Byline | None:
    """The byline at the start of ``text``, or None.

    An upper-case dateline (``MINNEAPOLIS``) is trusted as a dateline even when the gazetteer
    does not know the place (a village); a mixed-case one (``New York``) must name a known
    place, or ``Donald Trump (AP) -`` would read as a dateline."""
    if text.find("(", 0, _BYLINE_REACH) < 0:  # most bodies: no byline, skip the regex
        return None
    m = BYLINE.match(text)
    if m is None:
        return None
    dateline = m.group("dateline").strip()
    places = places_of(dateline)
    if not places and not dateline.isupper():
        return None
    agencies = _byline_agencies(m.group("agencies"), trust_codes=bool(places))
    if not agencies:
        return None
    return Byline(dateline, places, agencies, m.end())


def _byline_agencies(text: str, *, trust_codes: bool) -> list[str]:
    """Known agencies; plus unknown upper-case codes (``(BNA)``) after a real place."""
    return list(_byline_agency_codes(text, trust_codes))


@functools.lru_cache(maxsize=1024)
def _byline_agency_codes(text: str, trust_codes: bool) -> tuple[str, ...]:
    out: list[str] = []
    for part in _SPLIT.split(text):
        code = agency_code(part)
        if code is None and trust_codes and _BYLINE_CODE.fullmatch(part.strip()):
            code = part.strip()
        if code is not None and code not in out:
            out.append(code)
    return tuple(out)
