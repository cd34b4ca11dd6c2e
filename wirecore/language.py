"""Language of an item: declared language first, then a stop-word vote, then lingua.

lingua (low-accuracy mode, six languages) costs ~30 µs per 60 characters, more than the
whole rest of the parse; the stop-word vote costs ~3 µs and settles nearly every wire item
with a clear margin, so lingua only sees short or mixed texts. See bench/bench_parse.py.
"""

from __future__ import annotations

import functools
import re

LANGUAGES = ("nl", "en", "de", "fr", "es", "it")
_STOPWORDS = {
    "nl": "de het een van en in is dat op te zijn met voor niet aan er die door als bij ook "
          "maar om naar wordt heeft zegt werd hij zij wil geen deze uit over nog tot was",
    "en": "the of and to in is that for on with as was by at from it his he has are have "
          "be an said this were not but who their which after will would its they been",
    "de": "der die und den das ist nicht mit sich des auf für dem ein eine im zu von auch "
          "es wird hat sie nach bei aus wie noch wurde sind einer vor",
    "fr": "le la les des et est un une du en que pour dans pas qui sur au par il elle a "
          "ont été ce avec aux plus se son sa ses selon",
    "es": "el la los las de y que en un una es por con para del se no al lo su como más "
          "ha sus fue según pero este entre",
    "it": "il la di che e è un una per del della dei con non si sono le gli da alla ha "
          "nel al anche come più dopo stato",
}
_VOTES: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words.split():
        _VOTES[_w] = (*_VOTES.get(_w, ()), _lang)
_WORD = re.compile(r"[^\W\d_]+")
_SAMPLE_CHARS = 240
_LINGUA_CHARS = 120


@functools.cache
def _detector():
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def declared_language(value) -> str | None:
    """``"en-GB"`` / ``"nl_NL"`` / ``"NL"`` -> ``"en"`` / ``"nl"``; None if not a language tag."""
    if not isinstance(value, str):
        return None
    code = value.strip()[:2].lower()
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def detect_language(text: str) -> str | None:
    """Two-letter code of ``text`` (one of LANGUAGES), or None when it has no words."""
    sample = text[:_SAMPLE_CHARS]
    counts = dict.fromkeys(LANGUAGES, 0)
    words = 0
    for word in _WORD.findall(sample.lower()):
        words += 1
        for lang in _VOTES.get(word, ()):
            counts[lang] += 1
    if words == 0:
        return None
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= 3 and top >= 2 * second:
        return best
    found = _detector().detect_language_of(sample[:_LINGUA_CHARS])
    return found.iso_code_639_1.name.lower() if found is not None else None
