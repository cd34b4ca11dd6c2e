"""Editorial status fields shared by the format parsers: pubstatus, urgency, subjects.

Each format names them differently (ninjs ``pubstatus``/``urgency``/``subject(s)``, NewsML-G2
``pubStatus qcode="stat:…"``/``urgency``/``subject qcode``, RSS ``category``), but the values
reduce to the same three readings, kept here once so that every format agrees.
"""

from __future__ import annotations

from schemas.models import InvalidItem
from wirecore.text import normalise

# IPTC pubstatus (ninjs) / pubstatusg2 (NewsML-G2) -> WireItem.status. IPTC's "withheld" is
# what editors call withdrawn: the copy must not be used (any more).
_STATUS = {
    "usable": "usable", "withheld": "withdrawn", "withdrawn": "withdrawn",
    "canceled": "canceled", "cancelled": "canceled",
}
MAX_SUBJECTS = 50
MAX_SUBJECT_CHARS = 200


def status_of(value) -> str:
    """``usable`` when absent; the IPTC value with any ``stat:`` / URI prefix removed; an
    unknown status is refused, since guessing "usable" could publish killed copy."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "usable"
    if not isinstance(value, str):
        raise InvalidItem(f"pubstatus is a {type(value).__name__}, not a string")
    key = value.strip().lower().rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    status = _STATUS.get(key)
    if status is None:
        raise InvalidItem(f"unknown pubstatus {value.strip()[:40]!r}")
    return status


MAX_REVISION = (1 << 31) - 1


def small_int(value, max_digits: int) -> int | None:
    """A non-negative int from a JSON int or an ASCII digit string of at most ``max_digits``
    digits; None otherwise. ``str.isdigit`` alone is not enough: "²" and "٣" are digits to it
    and ``int()`` refuses the first, and a 5000-digit string exceeds ``int``'s conversion limit."""
    if type(value) is int:
        return value if value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= max_digits:
            return int(text)
    return None


def revision_of(value) -> int:
    """An item's version number (ninjs ``version``, NewsML ``version``); 0 when absent or not a
    plain number, at most ``MAX_REVISION`` (it is stored as UInt32)."""
    revision = small_int(value, 10)
    return min(revision, MAX_REVISION) if revision is not None else 0


def urgency_of(value) -> int | None:
    """IPTC urgency 1 (flash) .. 9 from an int or a digit string; anything else is no urgency
    (advisory metadata: a bad value is dropped, the item itself is fine)."""
    urgency = small_int(value, 2)
    return urgency if urgency is not None and 1 <= urgency <= 9 else None


def subject_names(values) -> list[str]:
    """Names (or, lacking one, codes) of subjects, in order, without duplicates or blanks.

    Accepts strings and objects with ``name``/``code``/``qcode``/``uri``/``term``/``label``."""
    if values is None:
        return []
    out: list[str] = []
    for value in values if isinstance(values, list) else [values]:
        name = _subject_name(value)
        if name and name not in out:
            out.append(name)
            if len(out) == MAX_SUBJECTS:
                break
    return out


def _subject_name(value) -> str:
    if isinstance(value, str):
        return normalise(value)[:MAX_SUBJECT_CHARS]
    if isinstance(value, dict):
        for key in ("name", "label", "code", "qcode", "term", "uri"):
            text = value.get(key)
            if isinstance(text, str) and text.strip():
                return normalise(text)[:MAX_SUBJECT_CHARS]
            if isinstance(text, dict):  # ninjs 2.x: {"name": {"en": "..."}}? take first string
                inner = next((v for v in text.values() if isinstance(v, str) and v.strip()), "")
                if inner:
                    return normalise(inner)[:MAX_SUBJECT_CHARS]
    return ""
