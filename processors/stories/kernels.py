"""The engine's per-item inner loops, compiled when the build could, Python when it could not.

Who calls what:

- ``scoring`` ranks candidates (``rank_candidates``), scores them (``centroid_sims``,
  ``story_gaps``, ``rank_scores``), weighs the item (``item_weights``) and explains the match
  (``shared_terms``);
- ``index.StoryIndex`` keeps postings and counts story frequencies and IDF ratios (``post``,
  ``unpost``, ``count_terms``, ``idf_ratios``, ``new_scratch``);
- ``story`` merges centroids and picks their index terms (``merge_sorted``, ``top_terms``);
- the engine's revision check finds near copies (``near_copies``);
- ``text`` counts content terms and hashes terms and items (``content_counts``, ``crc_ids``,
  ``simhash_texts``); ``features`` tabulates an item's terms (``term_table``).

The ``*_py`` functions are the reference: plain Python and numpy, the engine as it ran before
the compiled module existed. ``_kernels.pyx`` (built by ``pip install``, see setup.py)
computes the same values bit for bit; ``tests/unit/stories/test_kernels.py`` compares the two
on random input, so a machine without a C compiler runs slower but decides exactly the same.
Transcendental functions (log, power) and BLAS dot products stay numpy calls on both sides:
their last bits differ between libm, SVML and OpenBLAS.

``COMPILED`` says which one runs (``bench/bench_cluster.py`` prints it with its figures); when
the compiled module is missing or stale the import logs a warning with the reason, once per
process.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import math
import operator
import zlib
from array import array
from collections import Counter
from collections.abc import Container, Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from processors.stories.story import Story


def rank_candidates_py(
    ids: np.ndarray, weights: np.ndarray, k: int, postings: dict[int, int | array],
    max_posting: int, max_candidates: int, slot_stories: list[Story | None],
    slot_ids: list[str | None], scratch: object = None,
) -> tuple[list[Story], int]:
    """Stories sharing the item's ``k`` heaviest terms (ties by id), best first; and how many
    were touched. Each story's weight is the sum of the item weights of the terms it is
    posted under, added in term order; postings longer than ``max_posting`` are skipped.
    ``postings`` hold story slots (``StoryIndex``); ``slot_stories`` and ``slot_ids`` give
    the story and its id for each slot; ``scratch`` (``new_scratch()``, the compiled version's
    per-engine accumulators) is not needed here.
    """
    if len(ids) == 0:
        return [], 0
    order = np.lexsort((ids, -weights))[:k]
    acc: dict[int, float] = {}
    get = acc.get
    for tid, w in zip(ids[order].tolist(), weights[order].tolist(), strict=True):
        posting = postings.get(tid)
        if posting is None:
            continue
        if type(posting) is int:
            acc[posting] = get(posting, 0.0) + w
        elif len(posting) <= max_posting:
            for slot in posting:
                acc[slot] = get(slot, 0.0) + w
    if len(acc) <= max_candidates:  # all of them, in the order first touched
        return [slot_stories[s] for s in acc], len(acc)  # type: ignore[misc]
    # The heaviest, ties by story id (deterministic), in one C-level partial sort.
    best = heapq.nsmallest(max_candidates, zip(map(operator.neg, acc.values()),
                                               [slot_ids[s] for s in acc], acc, strict=True))
    return [slot_stories[s] for _, _, s in best], len(acc)  # type: ignore[misc]


def centroid_sims_py(
    ids: np.ndarray, weights: np.ndarray, stories: list[Story],
    name_weights: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each story's cosine with the item vector (``ids`` sorted, ``weights`` float64, unit
    length): its centroid dot the item over the centroid's norm, 0 for an empty centroid; the
    norms; and, given ``name_weights`` (aligned with ``ids``), the sum of those over the item
    terms each centroid holds. One pass over all candidates' centroids rather than a numpy
    call chain per story; sums run in centroid term order."""
    n = len(stories)
    id_parts = [s.term_ids for s in stories]
    lengths = list(map(len, id_parts))
    cat_ids = np.concatenate(id_parts)
    cat_w = np.concatenate([s.weights for s in stories])
    owner = np.repeat(np.arange(n), lengths)
    pos = np.searchsorted(ids, cat_ids)
    pos[pos == len(ids)] = 0
    hit = ids[pos] == cat_ids if len(ids) else np.zeros(len(cat_ids), dtype=bool)
    owner, pos = owner[hit], pos[hit]
    dots = np.bincount(owner, weights=weights[pos] * cat_w[hit], minlength=n)
    norms = np.array([s.norm for s in stories])
    sims = np.divide(dots, norms, out=np.zeros(n), where=norms > 0)
    if name_weights is None:
        return sims, norms, None
    return sims, norms, np.bincount(owner, weights=name_weights[pos], minlength=n)


def merge_sorted_py(
    old_ids: np.ndarray, old_w: np.ndarray, ids: np.ndarray, w: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The union of two sorted, unique id arrays (uint32) with their float32 weights summed
    (in float64, rounded once), and the ids only the second one holds."""
    if len(old_ids) == 0:
        return ids.astype(np.uint32), w.astype(np.float32), ids.astype(np.uint32)
    uniq, inverse = np.unique(np.concatenate([old_ids, ids]), return_inverse=True)
    summed = np.bincount(inverse, weights=np.concatenate([old_w, w])).astype(np.float32)
    uniq = uniq.astype(np.uint32)
    p = np.searchsorted(old_ids, ids)
    p[p == len(old_ids)] = 0
    return uniq, summed, ids[old_ids[p] != ids].astype(np.uint32)


def story_gaps_py(
    stories: list[Story], ts: float, sims: np.ndarray, half_life: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hours from ``ts`` to each story's dated span (0 inside it, NaN for an undated
    story); the indices of the dated stories with a positive similarity; and their gaps in
    ``half_life`` hours."""
    nan = math.nan
    first = np.array([nan if s.first_ts is None else s.first_ts for s in stories])
    last = np.array([nan if s.last_ts is None else s.last_ts for s in stories])
    gap = np.maximum(np.maximum(first - ts, ts - last), 0.0) / 3600.0
    dated = np.flatnonzero(~np.isnan(gap) & (sims > 0))
    return gap, dated, gap[dated] / half_life


def rank_scores_py(final: np.ndarray, stories: list[Story], join: float,
                   at_least: int) -> list[int]:
    """Indices of ``final`` best first (ties by the story's ``seq``, its arrival number):
    as many as reach ``join``, and at least ``at_least``."""
    order = sorted(zip((-final).tolist(), [s.seq for s in stories], range(len(final)),
                       strict=True))
    keep = max(at_least, int(np.count_nonzero(final >= join)))
    return [i for _, _, i in order[:keep]]


def top_terms_py(ids: np.ndarray, weights: np.ndarray, k: int) -> list[int]:
    """The ids of the ``k`` heaviest terms, heaviest first, ties by smaller id."""
    if k <= 0:
        return []
    return ids[np.lexsort((ids, -weights))[:k]].tolist()


def count_terms_py(counts: np.ndarray, entered: np.ndarray, left: np.ndarray,
                   mask: int) -> None:
    """One more story for each entered term, one fewer for each term that left, in the
    counter table ``counts`` indexed by the term id's low bits (``mask``)."""
    if len(entered):
        idx = entered & np.uint32(mask)
        if _distinct(idx):  # plain fancy indexing is several times cheaper than ufunc.at
            counts[idx] += 1
        else:
            np.add.at(counts, idx, 1)
    if len(left):
        idx = left & np.uint32(mask)
        if _distinct(idx):
            counts[idx] -= 1
        else:
            np.subtract.at(counts, idx, 1)


def _distinct(idx: np.ndarray) -> bool:
    """Whether no two term ids share a counter (then ``a[idx] += 1`` counts each once)."""
    return len(idx) <= 256 and len(set(idx.tolist())) == len(idx)


def idf_ratios_py(ids: np.ndarray, counts: np.ndarray, mask: int, numerator: float,
                  prior_ids: np.ndarray | None, prior_shares: np.ndarray | None,
                  prior_stories: float) -> np.ndarray:
    """``numerator / (sf + 1)`` per term: ``sf`` its story count, plus ``prior_stories``
    times its share in the background table (``prior_ids`` sorted) when there is one."""
    sf = counts[ids & np.uint32(mask)].astype(np.float64)
    if prior_ids is not None and prior_shares is not None:
        p = np.searchsorted(prior_ids, ids)
        p[p == len(prior_ids)] = 0
        sf += prior_stories * np.where(prior_ids[p] == ids, prior_shares[p], 0.0)
    return numerator / (sf + 1.0)


def item_weights_py(log_idf: np.ndarray, log_tf: np.ndarray, mask: np.ndarray,
                    boost: float) -> np.ndarray:
    """``log_tf * (log_idf + 1)``, the terms in ``mask`` (names) times ``boost``."""
    weights = log_tf * (log_idf + 1.0)
    if boost != 1.0:
        weights[mask] *= boost
    return weights


def shared_terms_py(ids: np.ndarray, weights: np.ndarray, story_ids: np.ndarray,
                    story_weights: np.ndarray, k: int) -> list[int]:
    """The ids of the ``k`` terms item and centroid share that add most to their dot
    product, largest first, ties in the item's (id) order."""
    if len(story_ids) == 0 or len(ids) == 0 or k <= 0:
        return []
    p = np.searchsorted(story_ids, ids)
    p[p == len(story_ids)] = 0
    di = np.flatnonzero(story_ids[p] == ids)
    contrib = weights[di] * story_weights[p[di]]
    return ids[di[np.argsort(-contrib, kind="stable")[:k]]].tolist()


def near_copies_py(hash_arrays: list[np.ndarray], simhash: int,
                   max_bits: int) -> list[tuple[int, int, int]]:
    """(array, position, bits) of each SimHash within ``max_bits`` bits of ``simhash``, in
    array order, positions ascending: one XOR/popcount over all of them."""
    if not hash_arrays:
        return []
    hashes = np.concatenate(hash_arrays)
    bits = np.bitwise_count(hashes ^ np.uint64(simhash))
    close = np.flatnonzero(bits <= max_bits).tolist()
    ends = list(itertools.accumulate(len(a) for a in hash_arrays))
    out = []
    for i in close:
        a = bisect.bisect_right(ends, i)
        out.append((a, i - (ends[a - 1] if a else 0), int(bits[i])))
    return out


def post_py(postings: dict[int, int | array], slot: int, terms: list[int]) -> None:
    """Post a story's ``slot`` under each of ``terms``: a term of one story holds the slot
    itself, of several an array of slots in the order they came."""
    for t in terms:
        cur = postings.get(t)
        if cur is None:
            postings[t] = slot
        elif type(cur) is int:
            if cur != slot:
                postings[t] = array("i", (cur, slot))
        elif slot not in cur:
            cur.append(slot)


def unpost_py(postings: dict[int, int | array], slot: int, terms: list[int]) -> None:
    """Take a story's ``slot`` out of each of ``terms``' postings (back to the bare slot
    when one story is left, gone when none is)."""
    for t in terms:
        cur = postings.get(t)
        if cur is None:
            continue
        if type(cur) is int:
            if cur == slot:
                del postings[t]
            continue
        if slot in cur:
            cur.remove(slot)
            if len(cur) == 1:
                postings[t] = cur[0]


_U64 = np.uint64
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
_K1 = _U64(0x9E3779B97F4A7C15)
_K2 = _U64(0xC2B2AE3D27D4EB4F)
_S30, _S27, _S31 = _U64(30), _U64(27), _U64(31)


def simhash_rows_py(ids: np.ndarray, lengths: np.ndarray) -> list[int]:
    """One 64-bit SimHash per row of term ids (``lengths``: ids per row, each at least 3,
    rows one after the other in ``ids``, uint64): word 3-shingles mixed by SplitMix64's
    finaliser, each bit set where more than half of the row's shingles set it. All rows in
    one pass of array operations (shingles crossing two rows dropped)."""
    h = ids[:-2] * _K1  # array integer ops wrap silently
    h += ids[1:-1] * _K2
    h += ids[2:]
    ends = np.cumsum(lengths)
    inside = np.ones(len(ids) - 2, dtype=bool)  # shingles that do not cross two items
    inside[ends[:-1] - 2] = False
    inside[ends[:-1] - 1] = False
    if len(lengths) > 1:
        h = h[inside]
    h ^= h >> _S30
    h *= _MIX1
    h ^= h >> _S27
    h *= _MIX2
    h ^= h >> _S31
    bits = np.unpackbits(h.view(np.uint8), bitorder="little").reshape(-1, 64)
    shingles = lengths - 2
    starts = np.concatenate(([0], np.cumsum(shingles)[:-1]))
    votes = bit_counts(bits, starts, int(shingles.max())) * 2 > shingles[:, None]
    return np.packbits(votes, axis=1, bitorder="little").view(np.uint64)[:, 0].tolist()


def bit_counts(bits: np.ndarray, starts: np.ndarray, longest: int) -> np.ndarray:
    """Per item (rows from each of ``starts``), how many of its shingle hashes set each of the
    64 bits. Summed as four 16-bit counters per 64-bit word (SWAR): a quarter of the additions
    of a ``reduceat`` over the bit matrix itself. An item with 65,536 shingles or more would
    carry from one counter into the next: then the plain sum."""
    if longest >= 1 << 16:
        return np.add.reduceat(bits, starts, axis=0, dtype=np.int64)
    lanes = bits.astype(np.uint16).view(np.uint64)  # (shingles, 16): four counters a word
    sums = np.add.reduceat(lanes, starts, axis=0)
    return sums.view(np.uint16).reshape(len(starts), 64).astype(np.int64)


def crc_ids_py(terms: list[str]) -> list[int]:
    """The stable id of each term: CRC-32 of its UTF-8 bytes (Python's ``hash`` is salted
    per process; these ids are persisted and must agree across processes)."""
    return [zlib.crc32(t.encode()) for t in terms]


def simhash_texts_py(texts: list[list[str]], min_tokens: int = 10) -> list[int | None]:
    """The SimHash of each token list (``simhash_rows_py`` of its ``crc_ids_py``), ``None``
    for one of fewer than ``min_tokens`` tokens (too short to be reliable)."""
    out: list[int | None] = [None] * len(texts)
    rows = [i for i, tokens in enumerate(texts) if len(tokens) >= max(min_tokens, 3)]
    if not rows:
        return out
    lengths = np.array([len(texts[i]) for i in rows], dtype=np.int64)
    ids = np.array(crc_ids_py([t for i in rows for t in texts[i]]), dtype=np.uint64)
    for i, value in zip(rows, simhash_rows_py(ids, lengths), strict=True):
        out[i] = value
    return out


def term_table_py(
    tf: dict[str, int], names: Container[str], head_names: Iterable[str],
) -> tuple[dict[int, str], np.ndarray, np.ndarray, np.ndarray, list[int], list[int]]:
    """An item's terms as the engine reads them: id -> term (in ``tf`` order), the ids sorted
    (uint32), each id's term count (float64) and whether it is a name (bool), and the sorted
    ids of the item's names and of its headline names (both subsets of ``tf``). A repeated
    id (two terms, one CRC-32) keeps the later term."""
    ids = crc_ids_py(list(tf))
    words = dict(zip(ids, tf, strict=True))
    pairs = sorted(words.items())  # a Python sort of ~30 pairs beats argsort + fromiter
    id_of = dict(zip(tf, ids, strict=True))
    return (
        words,
        np.array([p[0] for p in pairs], dtype=np.uint32),
        np.array([tf[p[1]] for p in pairs], dtype=np.float64),
        np.array([p[1] in names for p in pairs], dtype=bool),
        sorted(id_of[t] for t in tf if t in names),
        sorted(map(id_of.__getitem__, head_names)),
    )


def content_counts_py(tokens: list[str], stop: Container[str], stem_len: int,
                      memo: dict[str, str], aliases: dict[str, str]) -> dict[str, int]:
    """Each content term's count, in first-seen order. A token's content term ('' for a
    stopword or a single letter, not counted) comes from ``memo`` or is made and kept there:
    its alias (moskou -> moscow), cut to ``stem_len`` characters unless it is a number."""
    out = list(map(memo.get, tokens))
    if None in out:
        for i, t in enumerate(out):
            if t is None:
                tok = tokens[i]
                if len(tok) < 2 or tok in stop:
                    out[i] = memo[tok] = ""
                else:
                    term = aliases.get(tok, tok)
                    out[i] = memo[tok] = term if term.isdigit() else term[:stem_len]
    tf = Counter(out)
    tf.pop("", None)
    return dict(tf)


def new_scratch_py() -> None:
    """The reference needs no per-engine accumulators."""
    return None


try:
    from processors.stories._kernels import (
        centroid_sims,
        content_counts,
        count_terms,
        crc_ids,
        idf_ratios,
        item_weights,
        merge_sorted,
        near_copies,
        new_scratch,
        post,
        rank_candidates,
        rank_scores,
        shared_terms,
        simhash_texts,
        story_gaps,
        term_table,
        top_terms,
        unpost,
    )

    COMPILED = True
    NOT_COMPILED_BECAUSE = ""
except ImportError as exc:  # not built (no C compiler at install), or built for other code
    NOT_COMPILED_BECAUSE = str(exc)
    logging.getLogger("wirestream.processors.stories").warning(
        "story engine: compiled loops unavailable (%s); running the pure-Python reference, "
        "which decides the same but ~1.5-1.8x slower. Reinstall with a C compiler present "
        "(`pip install -e .`, or `make setup`) to build them.", exc)
    rank_candidates = rank_candidates_py
    centroid_sims = centroid_sims_py
    merge_sorted = merge_sorted_py
    rank_scores = rank_scores_py
    story_gaps = story_gaps_py
    top_terms = top_terms_py
    count_terms = count_terms_py
    idf_ratios = idf_ratios_py
    item_weights = item_weights_py
    shared_terms = shared_terms_py
    near_copies = near_copies_py
    post = post_py
    unpost = unpost_py
    crc_ids = crc_ids_py
    simhash_texts = simhash_texts_py
    term_table = term_table_py
    content_counts = content_counts_py
    new_scratch = new_scratch_py
    COMPILED = False

__all__ = ["COMPILED", "NOT_COMPILED_BECAUSE", "centroid_sims", "centroid_sims_py", "content_counts",
           "content_counts_py", "count_terms", "count_terms_py", "crc_ids", "crc_ids_py",
           "idf_ratios", "idf_ratios_py", "item_weights", "item_weights_py", "merge_sorted",
           "merge_sorted_py", "near_copies", "near_copies_py", "new_scratch", "new_scratch_py",
           "post", "post_py", "rank_candidates", "rank_candidates_py", "rank_scores",
           "rank_scores_py", "shared_terms", "shared_terms_py", "simhash_rows_py",
           "simhash_texts", "simhash_texts_py", "story_gaps", "story_gaps_py", "term_table",
           "term_table_py", "top_terms", "top_terms_py", "unpost", "unpost_py"]
