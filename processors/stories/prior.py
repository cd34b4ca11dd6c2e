"""A background prior for term weights: how common a content term is in ordinary text.

The engine's IDF counts live stories only, so early in a stream, in a small one, and on
snippets (whose stories hold few terms) the counts are near zero for almost every term and
say little about which shared word is evidence. The prior is the share of stories that
would hold a term in ordinary text, from the ``wordfreq`` word frequencies of the wire
languages: words are folded and cut to content terms the way items are
(``text._content_terms``), frequencies summed over the words that share a term, and the
largest over the languages taken. A term in no list (most names, a made-up word) has share 0:
as rare as a term can be. The engine adds the shares as pseudo-stories to the live counts
(``StoryIndex.weight_idf``).

The table is a pure function of the term id (built once per process and stem length, ~1-2 s),
so a restored engine weighs terms exactly as the live one did.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np

from processors.stories.aliases import ALIASES
from processors.stories.text import tokenise

LANGS = ("en", "nl", "de", "fr", "es", "it")
_NUMBERS = 2100  # 0..2099: counts and years (wordfreq estimates digits apart from its lists)
_MIN_CB = 700  # words rarer than 1e-7 (-700 centibels) are left out: their share is ~0


@functools.lru_cache(maxsize=4)
def background_table(stem_len: int, langs: tuple[str, ...] = LANGS) -> tuple[np.ndarray, np.ndarray]:
    """Sorted term ids (uint32) and each term's frequency in running text (float64: the
    largest over ``langs`` of the summed frequencies of the words that fold to it)."""
    import wordfreq
    from wordfreq import available_languages, read_cBpack, word_frequency

    files = available_languages("best")

    best: dict[str, float] = {}
    for lang in langs:
        agg: dict[str, float] = {}
        # read_cBpack, not get_frequency_list: that one keeps the list cached for good
        for cb, bucket in enumerate(read_cBpack(files[lang])[:_MIN_CB]):
            freq = 10.0 ** (-cb / 100.0)  # bucket i holds the words at -i centibels
            for word in bucket:
                if word.isascii() and word.isalnum():
                    tok = word
                else:
                    toks = tokenise(word)
                    if len(toks) != 1:
                        continue
                    tok = toks[0]
                if len(tok) < 2 or tok.isdigit():
                    continue
                term = ALIASES.get(tok, tok)[:stem_len]
                agg[term] = agg.get(term, 0.0) + freq
        for n in range(_NUMBERS):
            agg[str(n)] = word_frequency(str(n), lang)
        # word_frequency cached the language's whole list as a dict (~30-60 MB): let it go
        wordfreq.get_frequency_dict.cache_clear()
        wordfreq.get_frequency_list.cache_clear()
        for term, freq in agg.items():
            if freq > best.get(term, 0.0):
                best[term] = freq
    by_id: dict[int, float] = {}
    for term, freq in best.items():
        tid = zlib.crc32(term.encode())  # text.term_id, without filling its memo
        if freq > by_id.get(tid, 0.0):
            by_id[tid] = freq
    ids = np.array(sorted(by_id), dtype=np.uint32)
    return ids, np.array([by_id[i] for i in ids.tolist()], dtype=np.float64)


class BackgroundPrior:
    """``share(ids)``: the background share of stories of ``doc_terms`` tokens that hold each
    term, ``1 - exp(-doc_terms * frequency)``; 0 for a term in no word list."""

    def __init__(self, stem_len: int, doc_terms: float) -> None:
        self.ids, freqs = background_table(stem_len)
        self.shares = -np.expm1(-doc_terms * freqs)

    def share(self, term_ids: np.ndarray) -> np.ndarray:
        ids = self.ids
        p = np.searchsorted(ids, term_ids)
        p[p == len(ids)] = 0
        return np.where(ids[p] == term_ids, self.shares[p], 0.0)


@functools.lru_cache(maxsize=8)
def background_prior(stem_len: int, doc_terms: float) -> BackgroundPrior:
    """One prior per setting and process: engines (and restored ones) share it."""
    return BackgroundPrior(stem_len, doc_terms)
