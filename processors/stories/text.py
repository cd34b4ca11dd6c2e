"""Turning an item's text into the few things the engine compares: terms, hashes, a SimHash.

Everything here is case- and punctuation-insensitive on purpose: feeds in the wild arrive
lowercased, stripped of punctuation or truncated, and the engine must group them the same
way. Term ids are CRC32 of the term so they are stable across processes (Python's ``hash``
is salted per process, which would break restoring an engine from its persisted state).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

from processors.stories.aliases import ALIASES
from processors.stories.kernels import COMPILED, content_counts, crc_ids, simhash_texts
from processors.stories.stopwords import stopwords_for

_WORD = re.compile(r"\w+", re.UNICODE)
# combining marks, kana voicing marks (U+3099/309A) included: folded like accents
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a]")


# Han and kana: Chinese and Japanese write no spaces between words, so ``\w+`` would make a
# whole clause one token and no two reports of one event would share a term. Such runs become
# overlapping character bigrams (as Lucene's CJK analyzer does): no dictionary needed, and two
# texts about one event share many of them. Hangul is left alone: Korean separates words.
_CJK_RUN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def tokenise(text: str) -> list[str]:
    """All word tokens, lowercased with accents folded (``Oekraïne`` -> ``oekraine``); runs of
    Chinese/Japanese characters as overlapping bigrams."""
    lowered = text.lower()
    if lowered.isascii():
        return _WORD.findall(lowered)
    lowered = _COMBINING.sub("", unicodedata.normalize("NFKD", lowered))
    tokens = _WORD.findall(lowered)
    if _CJK_RUN.search(lowered) is None:
        return tokens
    return _cjk_bigrams(tokens)


def _cjk_bigrams(tokens: list[str]) -> list[str]:
    """Each token's Han/kana runs replaced by their overlapping bigrams (a one-character run
    stays itself); the token's other parts stay tokens."""
    out: list[str] = []
    for tok in tokens:
        pos = 0
        for m in _CJK_RUN.finditer(tok):
            if m.start() > pos:
                out.append(tok[pos : m.start()])
            run = m.group()
            out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
            pos = m.end()
        if pos < len(tok):
            out.append(tok[pos:])
    return out


def hash_tokens(tokens: list[str]) -> str:
    """Hash of normalised text: equal for copies that differ only in case/punctuation."""
    return hashlib.blake2b(" ".join(tokens).encode(), digest_size=12).hexdigest()


_IDS: dict[str, int] = {}  # term -> id memo: most terms recur, CRC32 + encode costs more
_TERMS: dict[tuple[int, int], dict[str, str]] = {}  # (stopword list, stem length) -> memo
_MEMO_MAX = 1 << 20


def term_id(term: str) -> int:
    """A stable 32-bit id for a term."""
    tid = _IDS.get(term)
    if tid is None:
        if len(_IDS) >= _MEMO_MAX:
            _IDS.clear()
        tid = _IDS[term] = zlib.crc32(term.encode())
    return tid


def term_ids(terms: list[str]) -> list[int]:
    """``term_id`` of each term: ``kernels.crc_ids`` where the loops are compiled (hashing a
    few bytes in C is cheaper than any lookup), else the memo. The memo answers most terms
    of a real feed (``map``: no Python loop); the misses are hashed in one comprehension, not
    one call each, as a stream of new names (a backfill, the made-up words of the speed
    bench) misses often."""
    if COMPILED:
        return crc_ids(terms)
    ids = list(map(_IDS.get, terms))
    if None not in ids:
        return ids
    missing = [t for t, i in zip(terms, ids, strict=True) if i is None]
    if len(_IDS) + len(missing) > _MEMO_MAX:
        _IDS.clear()
        missing = terms  # the hits went with the memo
    _IDS.update(zip(missing, [zlib.crc32(t.encode()) for t in missing], strict=True))
    return list(map(_IDS.__getitem__, terms))


def _term_memo(stop: frozenset[str], stem_len: int) -> dict[str, str]:
    """Token -> content term, per stopword list and stem length (cleared when it grows past
    ``_MEMO_MAX``): most tokens of a feed recur."""
    memo = _TERMS.setdefault((id(stop), stem_len), {})
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    return memo


def content_term(token: str, stem_len: int) -> str:
    """A (non-stopword) token as a content term: aliases folded (moskou -> moscow), cut to
    ``stem_len`` characters unless it is a number. The one definition the item vectors, the
    background table and the guessed names all use."""
    term = ALIASES.get(token, token)
    return term if term.isdigit() else term[:stem_len]


@dataclass(slots=True)
class DocTerms:
    """The content terms of one item with their term frequencies and stable ids."""

    tokens: list[str]  # every token, stopwords included (for SimHash and length)
    tf: dict[str, int]  # content term -> count
    lang: str
    names: frozenset[str] = frozenset()  # terms written capitalised mid-sentence
    head_names: frozenset[str] = frozenset()  # names in the headline (``headline_names``)


def extract_terms(
    text: str, lang: str | None, stem_len: int, tokens: list[str] | None = None,
    title: str = "",
) -> DocTerms:
    """Content terms: stopwords and single letters dropped, words cut to ``stem_len`` chars.

    Prefix truncation is a crude, language-free stemmer: it folds plurals and inflections
    ("pirates"/"pirate", "agenten"/"agent") in every language we see, at the price of
    occasional merges of unrelated long words, which rare-term weighting makes harmless.
    """
    if tokens is None:
        tokens = tokenise(text)
    stop = stopwords_for(lang, tokens)
    tf = content_counts(tokens, stop, stem_len, _term_memo(stop, stem_len), ALIASES)
    lang_used = (lang or "").lower()[:2] or _lang_of(stop)
    names = frozenset(
        t if t.isdigit() else t[:stem_len] for t in name_tokens(text) if t not in stop
    )
    head = headline_names(title, text, stop, stem_len) if title else frozenset()
    return DocTerms(tokens=tokens, tf=tf, lang=lang_used, names=names & tf.keys(),
                    head_names=head & tf.keys())


_NAME = re.compile(r"(?<=[\w,;:)] )[^\W\d_a-z][\w'-]*", re.UNICODE)  # a-z never starts a name


def name_tokens(text: str) -> list[str]:
    """Capitalised words not at a sentence start: a cheap, language-free name detector.

    Finds nothing in lowercased feeds; there the engine takes terms in no word list of the
    background table for names (``EngineConfig.guess_names``) and rarity does the rest.
    """
    words = [w for w in _NAME.findall(text) if w[0].isupper() and not w.isupper()]
    return tokenise(" ".join(words))


def headline_names(title: str, text: str, stop: frozenset[str], stem_len: int) -> frozenset[str]:
    """The names in a headline, as content terms: mid-sentence capitals, plus a capitalised
    first word that is no stopword and is never written in lower case in the text."""
    names = {t for t in name_tokens(title) if t not in stop}
    first = title.split(maxsplit=1)[:1]
    if first and first[0][:1].isupper() and not first[0].isupper():
        word = tokenise(first[0])[:1]
        if word and word[0] not in stop and len(word[0]) > 1 and not _written_lower(
            first[0].lower(), text
        ):
            names.add(word[0])
    return frozenset(t if t.isdigit() else t[:stem_len] for t in names)


def _written_lower(word: str, text: str) -> bool:
    """Whether ``word`` occurs in ``text`` as a whole word. A substring test first: most
    headline openers never occur at all, and compiling one pattern per item is costly."""
    if word not in text:
        return False
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text) is not None


def _lang_of(stop: frozenset[str]) -> str:
    from processors.stories.stopwords import BY_LANG

    for lang, words in BY_LANG.items():
        if words is stop:
            return lang
    return "en"


def simhash(tokens: list[str]) -> int | None:
    """64-bit SimHash over word 3-shingles; ``None`` when the text is too short to be reliable.

    Near-identical texts (a corrected word, a changed time) land within a few bits of each
    other while unrelated texts differ in ~32 bits, which is what the revision test relies on.
    """
    return simhash_many([tokens])[0]


def simhash_many(texts: list[list[str]]) -> list[int | None]:
    """``simhash`` of each token list (``None`` under 10 tokens): ``kernels.simhash_texts``.

    Shingle hashes are mixed with the SplitMix64 finaliser (spreads them over all 64 bits).
    Compiled, each item is hashed in one pass, token ids included; the reference does the
    batch (a poll of the stories stage, a chunk of ``cluster`` input) in one pass of array
    operations. The bits are the same either way.
    """
    return simhash_texts(texts, 10)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
