"""A background prior for term weights: how common a content term is in ordinary text.

The engine's IDF counts live stories only, so early in a stream, in a small one, and on
snippets (whose stories hold few terms) the counts are near zero for almost every term and
say little about which shared word is evidence. The prior is the share of stories that
would hold a term in ordinary text, from the ``wordfreq`` word frequencies of the wire
languages: words are folded and cut to content terms the way items are
(``text.content_term``), frequencies summed over the words that share a term, and the
largest over the languages taken. A term in no list (most names, a made-up word) has share 0:
as rare as a term can be. The engine adds the shares as pseudo-stories to the live counts
(``StoryIndex.weight_log_ratios``).

The table is a pure function of the term id, so a restored engine weighs terms exactly as
the live one did. It ships with the package (``TABLE``, 1.6 MB, for the default stemming
length: loading it takes milliseconds, where building it takes ~2 s and ~80 MB that stay
with the process); ``make prior-table`` rebuilds it from ``wordfreq`` and a
unit test checks the shipped file against a fresh build.
"""

from __future__ import annotations

import functools
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

from processors.stories.text import content_term, tokenise
from wirecore.errors import FatalError

LANGS = ("en", "nl", "de", "fr", "es", "it")
_NUMBERS = 2100  # 0..2099: counts and years (wordfreq estimates digits apart from its lists)
TABLE = Path(__file__).with_name("background_terms.npz")
_MIN_CB = 700  # words rarer than 1e-7 (-700 centibels) are left out: their share is ~0


def build_table(stem_len: int, langs: tuple[str, ...] = LANGS) -> tuple[np.ndarray, np.ndarray]:
    """Sorted term ids (uint32) and each term's frequency in running text (float64: the
    largest over ``langs`` of the summed frequencies of the words that fold to it), from
    ``wordfreq`` (a build-time dependency: ``TABLE`` holds the result for the default
    stemming length)."""
    try:
        import wordfreq
    except ImportError:
        raise FatalError(
            f"the background IDF prior for stem_len={stem_len} is not shipped and building it "
            "needs wordfreq (pip install 'wordfreq==3.1.1'), or set idf_prior=0 and guess_names=False") from None
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
                term = content_term(tok, stem_len)
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


@functools.lru_cache(maxsize=4)
def background_table(stem_len: int, langs: tuple[str, ...] = LANGS) -> tuple[np.ndarray, np.ndarray]:
    """``build_table``'s answer: read from the shipped ``TABLE`` when it was built for these
    settings, else built here."""
    shipped = read_table(TABLE)
    if shipped is not None and shipped[0] == (stem_len, langs):
        return shipped[1], shipped[2]
    return build_table(stem_len, langs)


def read_table(path: Path) -> tuple[tuple[int, tuple[str, ...]], np.ndarray, np.ndarray] | None:
    """((stem_len, langs), ids, frequencies) of a written table, or None if there is none."""
    if not path.exists():
        return None
    try:
        with np.load(path) as data:
            ids = np.cumsum(data["id_steps"], dtype=np.uint32)  # stored as steps: they compress
            key = (int(data["stem_len"]), tuple(str(x) for x in data["langs"]))
            freqs = np.asarray(data["freqs"], dtype=np.float64)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        # a damaged install: one line that says which file and what to do, not a traceback
        raise FatalError(f"the background term table {path} is unreadable ({type(exc).__name__}: "
                         f"{str(exc)[:120]}); reinstall wirestream or rebuild it with "
                         "`make prior-table`") from None
    if len(ids) != len(freqs) or (len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1]))):
        raise FatalError(f"the background term table {path} is damaged (ids not sorted or not "
                         "one frequency per id); reinstall wirestream or rebuild it with "
                         "`make prior-table`")
    return key, ids, freqs


def write_table(path: Path, stem_len: int, langs: tuple[str, ...] = LANGS) -> int:
    """Build the table and write it to ``path``; the number of terms."""
    ids, freqs = build_table(stem_len, langs)
    np.savez_compressed(path, id_steps=np.diff(ids, prepend=np.uint32(0)), freqs=freqs,
                        stem_len=np.int64(stem_len), langs=np.array(langs))
    return len(ids)


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


def main() -> None:
    """Rebuild the shipped table (``make prior-table``)."""
    from processors.stories.model import EngineConfig

    n = write_table(TABLE, EngineConfig().stem_len)
    sys.stdout.write(f"{TABLE}: {n} terms\n")
