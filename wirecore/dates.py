"""Dates: ISO-8601 / RFC 822 timestamps and listing-page age labels, all to UTC ``...Z``.

Naive local times are read in the source's time zone. Age labels ("14 minuten geleden",
"5 hours ago", "gisteren 18:04", "yesterday", "zojuist") are resolved against ``fetched_at``
in that zone, so "gisteren" means the source's yesterday, not UTC's.
"""

from __future__ import annotations

import email.utils
import functools
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas.models import InvalidItem

DEFAULT_TZ = "UTC"
ANP_TZ = "Europe/Amsterdam"


@functools.lru_cache(maxsize=64)
def zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidItem(f"unknown time zone {name[:60]!r}") from exc


def source_zone(source: str, source_tz: str | None) -> tzinfo:
    """``meta.source_tz``; else Europe/Amsterdam for ``anp*`` sources; else UTC."""
    if source_tz:
        return zone(source_tz)
    return zone(ANP_TZ if source.lower().startswith("anp") else DEFAULT_TZ)


# ClickHouse DateTime64(3) stores 1900-01-01 00:00:00 .. 2299-12-31 23:59:59.999 (UTC). A
# value outside it is refused at parse: stored anyway it would fail at the sink and take the
# whole story with it (issue 12.5).
STORABLE_MIN = datetime(1900, 1, 1, tzinfo=UTC)
STORABLE_MAX = datetime(2299, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)


def check_storable(dt: datetime, what: str) -> datetime:
    """``dt`` if ClickHouse can store it, else ``InvalidItem`` naming the field and the value."""
    if STORABLE_MIN.year < dt.year < STORABLE_MAX.year:  # no offset can move these out: fast path
        return dt
    aware = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    try:  # aware comparison: no astimezone on the hot path
        storable = STORABLE_MIN <= aware <= STORABLE_MAX
    except OverflowError:  # year 1 / 9999 shifted by its offset out of datetime's range
        storable = False
    if not storable:
        day = aware.date().isoformat() if aware.utcoffset() == timedelta(0) else aware.isoformat()[:40]
        raise InvalidItem(f"{what} date {day} is outside the storable range "
                          "1900-01-01 .. 2299-12-31")
    return dt


def read_fetched_at(value: str | None) -> datetime:
    """``fetched_at`` as the parse stage reads it (ISO-8601, ``Z`` allowed, naive = UTC, within
    the storable range), else ``InvalidItem``. The commands check ``--fetched-at`` with this
    same function, so a value they accept is never dead-lettered later."""
    try:
        dt = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidItem(f"unparseable fetched_at {str(value)[:40]!r}") from exc
    return check_storable(dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC), "fetched_at")


def format_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


# RFC 822 two-digit-year rules make email.utils turn "0000" into 2000 (and "0049" into 2049);
# a four-digit year of zeros is a broken date, not the year 2000.
_RFC822_YEAR0 = re.compile(r"[A-Za-z]{3,}\.?\s+0{3,4}(?!\d)")
_ISO_FIX = re.compile(r"(\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)\s*(?:UTC|GMT)$", re.I)


# Zone names that email.utils does not know (it knows UT/UTC/GMT/Z and the US EST..PDT) and
# that feeds use; names that mean several zones (IST, CST in China/Cuba, AT/ET/...) are left
# out on purpose: an unknown name is refused, never guessed.
_ZONE_HOURS = {
    "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "MET": 1, "MEZ": 1, "CEST": 2, "MEST": 2,
    "MESZ": 2, "EET": 2, "EEST": 3, "MSK": 3, "HKT": 8, "SGT": 8, "AWST": 8, "JST": 9,
    "KST": 9, "ACST": 9.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "HST": -10,
    "AKST": -9, "AKDT": -8, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5,
}
_UTC_NAMES = r"(?:GMT|UTC|UT|Z|Etc/GMT|Etc/UTC)"
# what follows the clock of an RFC 822 date: the zone, as email.utils leaves it unread
_CLOCK_TAIL = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s*(?P<zone>\S.*?)?\s*$")
_ZONE_OFFSET = re.compile(rf"(?:{_UTC_NAMES}\s*)?([+-])(\d{{1,2}})(?::?(\d{{2}}))?", re.I)


def _rfc822_zone(text: str) -> tzinfo | None:
    """The zone after the clock of an RFC 822 date that email.utils read as *no* zone: None
    when there is none (a local time), else the zone; ValueError for an unknown one.

    email.utils silently drops what it does not know (``CET``, ``+01:00``, ``GMT+2``,
    ``+zz:00``) and returns a naive time, which was then read in the source's zone: hours
    off, without a word."""
    m = _CLOCK_TAIL.search(text)
    zone_text = (m.group("zone") or "") if m else ""
    if not zone_text or zone_text.isdigit():  # no zone, or asctime's year after the clock
        return None
    if re.fullmatch(_UTC_NAMES, zone_text, re.I):
        return UTC
    offset = _ZONE_OFFSET.fullmatch(zone_text)
    if offset is not None:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours <= 14 and minutes < 60:
            delta = timedelta(hours=hours, minutes=minutes)
            return timezone(-delta if sign == "-" else delta)
    hours_east = _ZONE_HOURS.get(zone_text.upper())
    if hours_east is not None:
        return timezone(timedelta(hours=hours_east))
    raise ValueError(f"unknown time zone {zone_text[:20]!r}")


def parse_iso(value) -> datetime | None:
    """An ISO-8601 time (``Z`` or offset; ClickHouse's ``YYYY-MM-DD hh:mm:ss`` too) as an aware
    datetime, naive ones read as UTC; ``None`` for empty or unreadable values. For readers of
    stored rows and test data, not for source input (that goes through ``parse_date_field``)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


# Dates with less than a day and a clock, read as the first moment they name (in the source's
# zone): both appear in real feeds and were dead letters.
_W3CDTF_REDUCED = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2]))?")
_RFC822_DAY = re.compile(r"(?:[A-Za-z]{3,},?\s+)?\d{1,2}\s+[A-Za-z]{3,}\.?\s+\d{4}")


def parse_timestamp(value: str, tz: tzinfo = UTC) -> datetime:
    """ISO-8601 or RFC 822 (``Sat, 24 Jan 2026 17:04:00 +0100``) -> aware datetime.

    Raises ValueError when neither reads it; naive values are taken in ``tz``.
    """
    text = value.strip()
    if not text or len(text) > 64:
        raise ValueError("empty or overlong date")
    dt: datetime | None = None
    if _W3CDTF_REDUCED.fullmatch(text):  # W3C-DTF (dc:date) allows "2003-12" and "2003"
        text += "-01" if len(text) == 7 else "-01-01"
    elif _RFC822_DAY.fullmatch(text):  # "Thu, 01 Jan 2004": a day without a clock
        text += " 00:00:00"
    if text[:4].isdigit():
        iso = _ISO_FIX.sub(r"\1+00:00", text)
        if iso.endswith(("z", "Z")):
            iso = iso[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(iso)
        except ValueError:
            dt = None
    if dt is None:
        if _RFC822_YEAR0.search(text):
            raise ValueError("year 0000 is not a date")  # email.utils would read it as 2000
        try:
            dt = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError) as exc:
            raise ValueError(f"unparseable date {text[:40]!r}") from exc
        if dt is None:
            raise ValueError(f"unparseable date {text[:40]!r}")
        if dt.tzinfo is None:
            zone_read = _rfc822_zone(text)
            if zone_read is not None:
                dt = dt.replace(tzinfo=zone_read)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt


def parse_date_field(value, tz: tzinfo, what: str) -> datetime | None:
    """A format's date field: None when absent, InvalidItem when present but unreadable or
    outside what ClickHouse can store (``check_storable``)."""
    dt = _read_date_field(value, tz, what)
    return check_storable(dt, what) if dt is not None else None


def _read_date_field(value, tz: tzinfo, what: str) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidItem(f"unparseable {what} date {value!r}") from exc
    if not isinstance(value, str):
        raise InvalidItem(f"unparseable {what} date: not a string")
    try:
        return parse_timestamp(value, tz)
    except (ValueError, OverflowError) as exc:
        why = f" ({exc})" if str(exc).startswith(("year 0000", "unknown time zone")) else ""
        raise InvalidItem(f"unparseable {what} date {value.strip()[:40]!r}{why}") from exc


# --- age labels ------------------------------------------------------------------------
_NUM = r"(?P<n>\d{1,3}|een|één|a|an|one)"
_UNITS = {
    "s": ("sec", "seconde", "seconden", "second", "seconds", "secs", "s"),
    "m": ("min", "mins", "minuut", "minuten", "minute", "minutes", "m"),
    "h": ("uur", "uren", "u", "hour", "hours", "hr", "hrs", "h"),
    "d": ("dag", "dagen", "day", "days", "d"),
    "w": ("week", "weken", "weeks", "wk"),
}
_UNIT_OF = {word: unit for unit, words in _UNITS.items() for word in words}
_UNIT_RE = "|".join(sorted(_UNIT_OF, key=len, reverse=True))
def _time(tag: str) -> str:
    return (rf"(?:\s*(?:om|at|,)?\s*(?P<hh{tag}>[01]?\d|2[0-3])[:.](?P<mm{tag}>[0-5]\d)"
            r"(?:\s*uur)?)")
_MONTH_NAMES = (
    "jan feb mrt apr mei jun jul aug sep okt nov dec",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "january february march april may june july august september october november december",
    "januari februari maart april mei juni juli augustus september oktober november december",
)
_MONTHS = {m: i for names in _MONTH_NAMES for i, m in enumerate(names.split(), 1)} | {"sept": 9}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

LABEL = re.compile(
    r"(?:"
    rf"(?P<ago>{_NUM}\s*(?P<unit>{_UNIT_RE})\.?\s+(?:geleden|ago))"
    r"|(?P<now>zojuist|just now|net binnen|moments? ago|a moment ago|nu)"
    rf"|(?P<yday>gisteren|yesterday){_time('1')}?"
    rf"|(?P<today>vandaag|today){_time('2')}"
    rf"|(?P<day>\d{{1,2}})\.?\s+(?P<mon>{_MONTH_RE})\.?(?:\s+(?P<year>\d{{4}}))?{_time('3')}?"
    rf"|(?P<mon2>{_MONTH_RE})\.?\s+(?P<day2>\d{{1,2}})(?:,?\s+(?P<year2>\d{{4}}))?{_time('4')}?"
    r")",
    re.I,
)
_WORD_NUM = {"een": 1, "één": 1, "a": 1, "an": 1, "one": 1}
_STEP = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def match_label(text: str, pos: int = 0) -> re.Match | None:
    """An age label starting exactly at ``pos`` (not followed by a letter of the same word)."""
    m = LABEL.match(text, pos)
    if m is None:
        return None
    end = m.end()
    if end < len(text) and text[end].islower():
        return None  # "nu" in "nummer", "a" ... : only whole words, or glued to a capital
    return m


def _clock(m: re.Match) -> tuple[int | None, int | None]:
    for tag in "1234":
        if m.group("hh" + tag) is not None:
            return int(m.group("hh" + tag)), int(m.group("mm" + tag))
    return None, None


def resolve_label(label: str, fetched_at: datetime, tz: tzinfo) -> datetime:
    """The moment an age label denotes, seen from ``fetched_at`` in zone ``tz``."""
    m = match_label(label.strip())
    if m is None or m.end() != len(label.strip()):
        raise InvalidItem(f"unreadable age label {label.strip()[:40]!r}")
    local = fetched_at.astimezone(tz)
    if m.group("ago"):
        n_text = m.group("n").lower()
        n = _WORD_NUM.get(n_text) or int(n_text)
        unit = _UNIT_OF[m.group("unit").lower()]
        return fetched_at - timedelta(**{_STEP[unit]: n})
    if m.group("now"):
        return fetched_at
    if m.group("yday") or m.group("today"):
        day = local.date() - timedelta(days=1 if m.group("yday") else 0)
        hh, mm = _clock(m)
        if hh is None:
            wall = local.replace(tzinfo=None).time()
        else:
            wall = local.time().replace(hour=hh, minute=mm, second=0, microsecond=0)
        return datetime.combine(day, wall).replace(tzinfo=tz)
    day = int(m.group("day") or m.group("day2"))
    month = _MONTHS[(m.group("mon") or m.group("mon2")).lower()]
    year_text = m.group("year") or m.group("year2")
    hh, mm = _clock(m)
    hh, mm = (hh, mm) if hh is not None else (0, 0)
    year = int(year_text) if year_text else local.year
    try:
        dt = datetime(year, month, day, hh, mm, tzinfo=tz)
    except ValueError as exc:
        raise InvalidItem(f"impossible date in label {label.strip()[:40]!r}") from exc
    if not year_text and dt > local + timedelta(days=1):
        dt = dt.replace(year=year - 1)  # "28 dec" read in early January
    return dt
