# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
# cython: cdivision=True
"""Compiled versions of the story engine's per-item inner loops (see ``kernels.py``).

Each function here returns exactly what its pure-Python reference in ``kernels.py`` returns,
bit for bit: the same float additions in the same order, the same tie-breaks. The engine's
decisions must not depend on whether this module was built (a test runs both on random
input and compares), so nothing here is "faster but slightly different".

Why compiled at all: at ~25 terms an item and ~100 touched stories, numpy's per-call cost
and the interpreter's per-operation cost, not arithmetic, are what the engine spends its
time on; these loops do the same work with neither.
"""

cimport cython
cimport numpy as cnp
from libc.math cimport NAN, isnan
from cpython.array cimport array
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.stdlib cimport free, malloc, qsort, realloc

import numpy as np

cnp.import_array()


cdef extern from *:
    int __builtin_popcountll(unsigned long long) nogil
    int __builtin_ctzll(unsigned long long) nogil


cdef inline int _check(object a, int typenum) except -1:
    """``a`` is a one-dimensional C-contiguous array of ``typenum``, aligned and in the
    machine's byte order: its data can be read as a C array (a big-endian ``>u4`` has the
    type number of ``uint32``). Reading the pointer costs nothing, where a typed memoryview
    costs about a microsecond to acquire, per story, per item."""
    if not (cnp.PyArray_Check(a) and cnp.PyArray_NDIM(<cnp.ndarray> a) == 1
            and cnp.PyArray_TYPE(<cnp.ndarray> a) == typenum
            and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray> a)
            and cnp.PyArray_ISBEHAVED_RO(<cnp.ndarray> a)):
        raise TypeError(f"expected a contiguous 1-d array of type {typenum}, got {a!r:.80}")
    return 0


cdef int _U32 = cnp.NPY_UINT32
cdef int _F32 = cnp.NPY_FLOAT32
cdef int _F64 = cnp.NPY_FLOAT64


cdef inline void *_ptr(object a) noexcept:
    """The data of an array ``_check`` (or ``_pair``) accepted."""
    return cnp.PyArray_DATA(<cnp.ndarray> a)


cdef inline Py_ssize_t _pair(object a, int type_a, object b, int type_b, str what) except -1:
    """The common length of two arrays read side by side (ids and their weights), both
    checked; a length mismatch is refused, not read past."""
    _check(a, type_a)
    _check(b, type_b)
    cdef Py_ssize_t n = cnp.PyArray_DIM(<cnp.ndarray> a, 0)
    if cnp.PyArray_DIM(<cnp.ndarray> b, 0) != n:
        raise ValueError(what)
    return n


cdef inline bint _before(double wa, unsigned int ia, double wb, unsigned int ib) noexcept:
    """Heavier first, ties by smaller id: ``np.lexsort((ids, -weights))``."""
    if wa != wb:
        return wa > wb
    return ia < ib


cdef inline const int *_ints(object posting) except NULL:
    """The slots of a posting array, refused unless it is an ``array('i')`` (checked casts
    throughout: input of another type must raise, not be read as something it is not)."""
    cdef array arr = <array?> posting
    if arr.ob_descr.typecode != b'i':
        raise TypeError(f"a posting must be array('i'), not array({arr.typecode!r})")
    return arr.data.as_ints if len(arr) else <const int *> &_NO_INTS


cdef int _NO_INTS = 0


@cython.final  # its methods called directly (inlined), not through a vtable, per posting entry
cdef class Scratch:
    """One engine's per-slot accumulators for ``rank_candidates``: a story's summed weight,
    and the call that last touched it (so nothing needs clearing between calls). Each
    ``StoryIndex`` owns one: two engines never share it, whatever their threads do."""

    cdef double *acc
    cdef unsigned long long *mark
    cdef Py_ssize_t *touched
    cdef Py_ssize_t size
    cdef unsigned long long epoch

    def __dealloc__(self):
        free(self.acc)
        free(self.mark)
        free(self.touched)

    cdef int reserve(self, Py_ssize_t slots) except -1:
        cdef Py_ssize_t size = self.size if self.size else 1024, i
        cdef void *grown
        if slots <= self.size:
            return 0
        while size < slots:
            size *= 2
        grown = realloc(self.acc, size * sizeof(double))
        if grown == NULL:
            raise MemoryError()
        self.acc = <double *> grown
        grown = realloc(self.mark, size * sizeof(unsigned long long))
        if grown == NULL:
            raise MemoryError()
        self.mark = <unsigned long long *> grown
        grown = realloc(self.touched, size * sizeof(Py_ssize_t))
        if grown == NULL:
            raise MemoryError()
        self.touched = <Py_ssize_t *> grown
        for i in range(self.size, size):
            self.mark[i] = 0
        self.size = size
        return 0

    cdef inline Py_ssize_t add(self, Py_ssize_t slot, double w, Py_ssize_t n_acc,
                               Py_ssize_t n_slots) except -1:
        if slot < 0 or slot >= n_slots:  # a damaged index must not write past the arrays
            raise IndexError(f"posting slot {slot} out of range (0..{n_slots - 1})")
        if self.mark[slot] != self.epoch:
            self.mark[slot] = self.epoch
            self.acc[slot] = 0.0 + w
            self.touched[n_acc] = slot
            return n_acc + 1
        self.acc[slot] = self.acc[slot] + w
        return n_acc

    cdef inline bint ahead(self, list slot_ids, Py_ssize_t a, Py_ssize_t b) except -1:
        cdef Py_ssize_t sa = self.touched[a], sb = self.touched[b]
        if self.acc[sa] != self.acc[sb]:
            return self.acc[sa] > self.acc[sb]
        return <str?> slot_ids[sa] < <str?> slot_ids[sb]  # ties are common: no attribute lookups

    cdef list heaviest(self, list slot_ids, Py_ssize_t n, Py_ssize_t keep):
        """Positions in ``touched`` of the ``keep`` heaviest (ties by story id), heaviest
        first: what ``heapq.nsmallest(keep, zip(-weight, story_id))`` picks."""
        cdef list best = []
        cdef Py_ssize_t i, j, size = 0
        cdef Py_ssize_t *top = <Py_ssize_t *> malloc(keep * sizeof(Py_ssize_t))
        if top == NULL:
            raise MemoryError()
        try:
            for i in range(n):
                if size == keep and not self.ahead(slot_ids, i, top[size - 1]):
                    continue
                j = size if size < keep else keep - 1
                while j > 0 and self.ahead(slot_ids, i, top[j - 1]):
                    top[j] = top[j - 1]
                    j -= 1
                top[j] = i
                if size < keep:
                    size += 1
            for i in range(size):
                best.append(top[i])
            return best
        finally:
            free(top)


def new_scratch():
    """``Scratch`` for one engine's index (``kernels.new_scratch``)."""
    return Scratch()


@cython.boundscheck(True)  # list reads: Python code (str comparisons) runs in between
def rank_candidates(object ids_a, object weights_a, Py_ssize_t k, dict postings,
                    Py_ssize_t max_posting, Py_ssize_t max_candidates, list slot_stories,
                    list slot_ids, Scratch scratch not None):
    """``kernels.rank_candidates_py``: stories sharing the item's k heaviest terms."""
    cdef Py_ssize_t n, i, j, m, n_top, n_acc = 0, length, n_slots
    cdef const unsigned int *ids
    cdef const double *weights
    cdef Py_ssize_t *order
    cdef double w
    cdef const int *slots
    cdef object posting
    n = _pair(ids_a, _U32, weights_a, _F64, "ids and weights differ in length")
    if n == 0:
        return [], 0
    ids = <const unsigned int *> _ptr(ids_a)
    weights = <const double *> _ptr(weights_a)
    n_slots = len(slot_stories)
    if len(slot_ids) != n_slots:
        raise ValueError("one story id per slot expected")
    scratch.reserve(n_slots)
    scratch.epoch += 1
    order = <Py_ssize_t *> malloc(n * sizeof(Py_ssize_t))
    if order == NULL:
        raise MemoryError()
    try:
        for i in range(n):  # insertion sort: a few dozen terms
            j = i
            while j > 0 and _before(weights[i], ids[i], weights[order[j - 1]], ids[order[j - 1]]):
                order[j] = order[j - 1]
                j -= 1
            order[j] = i
        n_top = k if k < n else n
        if k < 0:  # ``order[:k]``: all but the last -k
            n_top = n + k if n + k > 0 else 0
        for m in range(n_top):
            i = order[m]
            posting = postings.get(int(ids[i]))
            if posting is None:
                continue
            w = weights[i]
            if type(posting) is int:
                n_acc = scratch.add(<Py_ssize_t> posting, w, n_acc, n_slots)
            else:
                length = len(posting)
                if length <= max_posting:
                    slots = _ints(posting)
                    for j in range(length):
                        n_acc = scratch.add(slots[j], w, n_acc, n_slots)
        if n_acc <= max_candidates:
            return [slot_stories[scratch.touched[i]] for i in range(n_acc)], n_acc
        if max_candidates <= 0:  # ``heapq.nsmallest(0 or less, ...)``: none
            return [], n_acc
        return [slot_stories[scratch.touched[i]]
                for i in scratch.heaviest(slot_ids, n_acc, max_candidates)], n_acc
    finally:
        free(order)


@cython.boundscheck(True)  # ``stories[s]``: attribute reads run Python code in between
def centroid_sims(object ids_a, object weights_a, list stories, object name_weights):
    """``kernels.centroid_sims_py``: each story's cosine with the item, its centroid norm,
    and the name weight of the item's terms each centroid holds (``None`` without
    ``name_weights``)."""
    cdef Py_ssize_t n = len(stories), m, s, j, p, k
    cdef const unsigned int *ids
    cdef const double *weights
    cdef const double *nw = NULL
    cdef const unsigned int *sids
    cdef const float *sw
    cdef bint names = name_weights is not None
    cdef double dot, cov
    cdef unsigned int t
    m = _pair(ids_a, _U32, weights_a, _F64, "ids and weights differ in length")
    ids = <const unsigned int *> _ptr(ids_a)
    weights = <const double *> _ptr(weights_a)
    if names:
        _check(name_weights, cnp.NPY_FLOAT64)
        if cnp.PyArray_DIM(<cnp.ndarray> name_weights, 0) != m:
            raise ValueError("ids and name weights differ in length")
        nw = <const double *> _ptr(name_weights)
    out = np.zeros(n)
    cdef double *sims = <double *> _ptr(out)
    norms_a = np.empty(n)
    cdef double *norms = <double *> _ptr(norms_a)
    cdef double norm
    covered = np.zeros(n) if names else None
    cdef double *cov_v = NULL
    if names:
        cov_v = <double *> _ptr(covered)
    for s in range(n):
        story = stories[s]
        sids_a = story.term_ids
        sw_a = story.weights
        k = _pair(sids_a, _U32, sw_a, _F32, "a centroid's ids and weights differ in length")
        sids = <const unsigned int *> _ptr(sids_a)
        sw = <const float *> _ptr(sw_a)
        dot = 0.0
        cov = 0.0
        p = 0
        if m:
            for j in range(k):  # centroid order, as ``np.bincount`` adds them
                t = sids[j]
                while p < m and ids[p] < t:
                    p += 1
                if p == m:
                    break
                if ids[p] == t:
                    dot = dot + weights[p] * <double> sw[j]
                    if names:
                        cov = cov + nw[p]
        norm = story.norm
        norms[s] = norm
        sims[s] = dot / norm if norm > 0 else 0.0  # np.divide(..., where=norms > 0)
        if names:
            cov_v[s] = cov
    return out, norms_a, covered


@cython.boundscheck(True)  # ``stories[i]``: attribute reads run Python code in between
def story_gaps(list stories, double ts, object sims_a, double half_life):
    """``kernels.story_gaps_py``: hours from ``ts`` to each story's dated span (NaN for an
    undated story); the dated stories with a positive similarity; their gaps in half-lives."""
    cdef Py_ssize_t n = len(stories), i, d = 0
    cdef double first, last, g
    cdef const double *sims
    _check(sims_a, cnp.NPY_FLOAT64)
    if cnp.PyArray_DIM(<cnp.ndarray> sims_a, 0) != n:
        raise ValueError("one similarity per story expected")
    sims = <const double *> _ptr(sims_a)
    gap_a = np.empty(n)
    dated_a = np.empty(n, dtype=np.intp)
    lives_a = np.empty(n)
    cdef double *gap = <double *> _ptr(gap_a)
    cdef Py_ssize_t *dated = <Py_ssize_t *> _ptr(dated_a)
    cdef double *lives = <double *> _ptr(lives_a)
    for i in range(n):
        story = stories[i]
        f = story.first_ts
        l = story.last_ts
        if f is None or l is None:
            gap[i] = NAN
            continue
        first = f
        last = l
        g = first - ts
        if not (g >= ts - last or isnan(g)):  # np.maximum's choice: a NaN side wins
            g = ts - last
        g = (g if g >= 0.0 or isnan(g) else 0.0) / 3600.0
        gap[i] = g
        if sims[i] > 0 and not isnan(g):
            dated[d] = i
            lives[d] = g / half_life
            d += 1
    return gap_a, dated_a[:d], lives_a[:d]


@cython.boundscheck(True)  # ``stories[i]``: attribute reads run Python code in between
def rank_scores(object final_a, list stories, double join, Py_ssize_t at_least):
    """``kernels.rank_scores_py``: indices of the scores best first (ties by story
    ``seq``), as many as reach ``join`` and at least ``at_least``."""
    cdef Py_ssize_t n, i, j, keep = 0
    cdef const double *final
    _check(final_a, cnp.NPY_FLOAT64)
    n = cnp.PyArray_DIM(<cnp.ndarray> final_a, 0)
    final = <const double *> _ptr(final_a)
    if len(stories) != n:
        raise ValueError("one story per score expected")
    cdef Py_ssize_t *order = <Py_ssize_t *> malloc((n + 1) * sizeof(Py_ssize_t))
    cdef long long *seq = <long long *> malloc((n + 1) * sizeof(long long))
    if order == NULL or seq == NULL:
        free(order)
        free(seq)
        raise MemoryError()
    try:
        for i in range(n):
            seq[i] = stories[i].seq
            if final[i] >= join:
                keep += 1
            j = i
            while j > 0 and (final[i] > final[order[j - 1]] or (
                    final[i] == final[order[j - 1]] and seq[i] < seq[order[j - 1]])):
                order[j] = order[j - 1]
                j -= 1
            order[j] = i
        if keep < at_least:
            keep = at_least
        return [order[i] for i in range(keep if keep < n else n)]
    finally:
        free(order)
        free(seq)


def merge_sorted(const unsigned int[::1] old_ids, const float[::1] old_w,
                 const unsigned int[::1] ids, const float[::1] w):
    """``kernels.merge_sorted_py``: the union of two sorted id sets with weights summed."""
    cdef Py_ssize_t a = 0, b = 0, n = 0, e = 0, na = old_ids.shape[0], nb = ids.shape[0]
    uniq_a = np.empty(na + nb, dtype=np.uint32)
    summed_a = np.empty(na + nb, dtype=np.float32)
    entered_a = np.empty(nb, dtype=np.uint32)
    cdef unsigned int[::1] uniq = uniq_a, entered = entered_a
    cdef float[::1] summed = summed_a
    while a < na or b < nb:
        if b == nb or (a < na and old_ids[a] < ids[b]):
            uniq[n] = old_ids[a]
            summed[n] = <float> (0.0 + <double> old_w[a])  # bincount's 0.0 + w: -0.0 -> 0.0
            a += 1
        elif a == na or ids[b] < old_ids[a]:
            uniq[n] = ids[b]
            summed[n] = w[b] if na == 0 else <float> (0.0 + <double> w[b])  # no old: as given
            entered[e] = ids[b]
            e += 1
            b += 1
        else:  # in both: added in float64 and rounded once, as ``np.bincount`` does
            uniq[n] = ids[b]
            summed[n] = <float> (0.0 + <double> old_w[a] + <double> w[b])
            a += 1
            b += 1
        n += 1
    return uniq_a[:n], summed_a[:n], entered_a[:e]


def top_terms(object ids_a, object weights_a, Py_ssize_t k):
    """``kernels.top_terms_py``: the ids of the k heaviest terms (ties by smaller id)."""
    cdef Py_ssize_t n, i, j, size = 0
    cdef const unsigned int *ids
    cdef const float *w
    n = _pair(ids_a, _U32, weights_a, _F32, "ids and weights differ in length")
    ids = <const unsigned int *> _ptr(ids_a)
    w = <const float *> _ptr(weights_a)
    if k <= 0 or n == 0:
        return []
    if k > n:
        k = n
    cdef Py_ssize_t *top = <Py_ssize_t *> malloc(k * sizeof(Py_ssize_t))
    if top == NULL:
        raise MemoryError()
    try:
        for i in range(n):  # a bounded insertion: most terms fall below the k-th at once
            if size == k and not _before(w[i], ids[i], w[top[k - 1]], ids[top[k - 1]]):
                continue
            j = size if size < k else k - 1
            while j > 0 and _before(w[i], ids[i], w[top[j - 1]], ids[top[j - 1]]):
                top[j] = top[j - 1]
                j -= 1
            top[j] = i
            if size < k:
                size += 1
        return [ids[top[i]] for i in range(size)]
    finally:
        free(top)


def count_terms(object counts_a, object entered_a, object left_a, unsigned int mask):
    """``kernels.count_terms_py``: one more story for each entered term, one fewer for each
    term that left, in a counter table indexed by the term id's low bits."""
    cdef Py_ssize_t i, n
    cdef unsigned int *counts
    cdef const unsigned int *ids
    _check(counts_a, cnp.NPY_UINT32)
    if not cnp.PyArray_ISWRITEABLE(<cnp.ndarray> counts_a):
        raise ValueError("the counter table is read-only")
    if <unsigned long long> mask >= <unsigned long long> cnp.PyArray_DIM(<cnp.ndarray> counts_a, 0):
        raise ValueError("the mask reaches past the counter table")
    counts = <unsigned int *> _ptr(counts_a)
    _check(entered_a, cnp.NPY_UINT32)
    _check(left_a, cnp.NPY_UINT32)
    n = cnp.PyArray_DIM(<cnp.ndarray> entered_a, 0)
    ids = <const unsigned int *> _ptr(entered_a)
    for i in range(n):
        counts[ids[i] & mask] += 1
    n = cnp.PyArray_DIM(<cnp.ndarray> left_a, 0)
    ids = <const unsigned int *> _ptr(left_a)
    for i in range(n):
        counts[ids[i] & mask] -= 1


def idf_ratios(object ids_a, object counts_a, unsigned int mask, double numerator,
               object prior_ids_a, object prior_shares_a, double prior_stories):
    """``kernels.idf_ratios_py``: ``numerator / (sf + 1)`` per term, ``sf`` its story count
    plus ``prior_stories`` times its background share (no prior: ``prior_ids_a`` None)."""
    cdef Py_ssize_t n, i, lo, hi, mid, n_prior = 0
    cdef const unsigned int *ids
    cdef const unsigned int *counts
    cdef const unsigned int *prior_ids = NULL
    cdef const double *shares = NULL
    cdef double sf, share
    cdef unsigned int t
    _check(ids_a, cnp.NPY_UINT32)
    _check(counts_a, cnp.NPY_UINT32)
    if <unsigned long long> mask >= <unsigned long long> cnp.PyArray_DIM(<cnp.ndarray> counts_a, 0):
        raise ValueError("the mask reaches past the counter table")
    n = cnp.PyArray_DIM(<cnp.ndarray> ids_a, 0)
    ids = <const unsigned int *> _ptr(ids_a)
    counts = <const unsigned int *> _ptr(counts_a)
    if prior_ids_a is not None:
        n_prior = _pair(prior_ids_a, _U32, prior_shares_a, _F64,
                        "one share per prior term expected")
        prior_ids = <const unsigned int *> _ptr(prior_ids_a)
        shares = <const double *> _ptr(prior_shares_a)
    out = np.empty(n)
    cdef double *q = <double *> _ptr(out)
    for i in range(n):
        t = ids[i]
        sf = <double> counts[t & mask]
        if prior_ids != NULL:
            lo = 0
            hi = n_prior
            while lo < hi:  # np.searchsorted, side left
                mid = (lo + hi) >> 1
                if prior_ids[mid] < t:
                    lo = mid + 1
                else:
                    hi = mid
            share = shares[lo] if lo < n_prior and prior_ids[lo] == t else 0.0
            sf = sf + prior_stories * share
        q[i] = numerator / (sf + 1.0)
    return out


def item_weights(object log_idf_a, object log_tf_a, object mask_a, double boost):
    """``kernels.item_weights_py``: ``log_tf * (log_idf + 1)``, names times ``boost``."""
    cdef Py_ssize_t n, i
    cdef const double *lq
    cdef const double *tf
    cdef const cnp.npy_bool *names
    n = _pair(log_idf_a, _F64, log_tf_a, _F64, "arrays differ in length")
    if _pair(log_idf_a, _F64, mask_a, cnp.NPY_BOOL, "arrays differ in length") != n:
        raise ValueError("arrays differ in length")
    lq = <const double *> _ptr(log_idf_a)
    tf = <const double *> _ptr(log_tf_a)
    names = <const cnp.npy_bool *> _ptr(mask_a)
    out = np.empty(n)
    cdef double *w = <double *> _ptr(out)
    for i in range(n):
        w[i] = tf[i] * (lq[i] + 1.0)
        if boost != 1.0 and names[i]:
            w[i] = w[i] * boost
    return out


def shared_terms(object ids_a, object weights_a, object sids_a, object sw_a, Py_ssize_t k):
    """``kernels.shared_terms_py``: the ids of the k shared terms that add most to the dot
    product, largest first, ties by the item's term order."""
    cdef Py_ssize_t m, n, p = 0, j, i, size = 0
    cdef const unsigned int *ids
    cdef const double *w
    cdef const unsigned int *sids
    cdef const float *sw
    cdef double c
    m = _pair(ids_a, _U32, weights_a, _F64, "ids and weights differ in length")
    n = _pair(sids_a, _U32, sw_a, _F32, "a centroid's ids and weights differ in length")
    if k <= 0 or m == 0 or n == 0:
        return []
    ids = <const unsigned int *> _ptr(ids_a)
    w = <const double *> _ptr(weights_a)
    sids = <const unsigned int *> _ptr(sids_a)
    sw = <const float *> _ptr(sw_a)
    cdef Py_ssize_t *top = <Py_ssize_t *> malloc(k * sizeof(Py_ssize_t))
    cdef double *val = <double *> malloc(k * sizeof(double))
    if top == NULL or val == NULL:
        free(top)
        free(val)
        raise MemoryError()
    try:
        for i in range(m):  # item order: a later equal contribution ranks after
            while p < n and sids[p] < ids[i]:
                p += 1
            if p == n:
                break
            if sids[p] != ids[i]:
                continue
            c = w[i] * <double> sw[p]
            if size == k and not c > val[k - 1]:
                continue
            j = size if size < k else k - 1
            while j > 0 and c > val[j - 1]:
                top[j] = top[j - 1]
                val[j] = val[j - 1]
                j -= 1
            top[j] = i
            val[j] = c
            if size < k:
                size += 1
        return [ids[top[i]] for i in range(size)]
    finally:
        free(top)
        free(val)


def near_copies(list hash_arrays, unsigned long long simhash, int max_bits):
    """``kernels.near_copies_py``: (array, position, bits) of every hash within
    ``max_bits`` bits of ``simhash``, arrays in order, positions ascending."""
    cdef Py_ssize_t a, i, n
    cdef const unsigned long long *h
    cdef int bits
    cdef list out = []
    for a in range(len(hash_arrays)):
        arr = hash_arrays[a]
        _check(arr, cnp.NPY_UINT64)
        n = cnp.PyArray_DIM(<cnp.ndarray> arr, 0)
        h = <const unsigned long long *> _ptr(arr)
        for i in range(n):
            bits = __builtin_popcountll(h[i] ^ simhash)
            if bits <= max_bits:
                out.append((a, i, bits))
    return out


def post(dict postings, int slot, list terms):
    """``kernels.post_py``: post a story's slot under each of ``terms``."""
    cdef Py_ssize_t i, n
    cdef array arr
    cdef bint there
    for t in terms:
        cur = postings.get(t)
        if cur is None:
            postings[t] = slot
        elif type(cur) is int:
            if <int> cur != slot:
                postings[t] = array("i", (cur, slot))
        else:
            arr = <array?> cur
            _ints(arr)
            n = len(arr)
            there = False
            for i in range(n):
                if arr.data.as_ints[i] == slot:
                    there = True
                    break
            if not there:
                arr.append(slot)


def unpost(dict postings, int slot, list terms):
    """``kernels.unpost_py``: take a story's slot out of each of ``terms``' postings."""
    cdef Py_ssize_t i, j, n
    cdef array arr
    for t in terms:
        cur = postings.get(t)
        if cur is None:
            continue
        if type(cur) is int:
            if <int> cur == slot:
                del postings[t]
            continue
        arr = <array?> cur
        _ints(arr)
        n = len(arr)
        for i in range(n):
            if arr.data.as_ints[i] == slot:
                for j in range(i, n - 1):  # array.remove: the order of the others kept
                    arr.data.as_ints[j] = arr.data.as_ints[j + 1]
                arr.pop()
                if n - 1 == 1:
                    postings[t] = arr.data.as_ints[0]
                break


cdef unsigned long long _K1 = 0x9E3779B97F4A7C15ULL
cdef unsigned long long _K2 = 0xC2B2AE3D27D4EB4FULL
cdef unsigned long long _MIX1 = 0xBF58476D1CE4E5B9ULL
cdef unsigned long long _MIX2 = 0x94D049BB133111EBULL


cdef unsigned int _CRC[256]


cdef void _crc_table() noexcept:
    cdef unsigned int c
    cdef int n, k
    for n in range(256):
        c = n
        for k in range(8):
            c = (c >> 1) ^ 0xEDB88320U if c & 1 else c >> 1
        _CRC[n] = c


_crc_table()


cdef inline unsigned int _crc32(str term) except? 0xFFFFFFFF:
    """``zlib.crc32(term.encode())``: CRC-32 (IEEE) of the term's UTF-8 bytes."""
    cdef Py_ssize_t n, i
    cdef const char *s = PyUnicode_AsUTF8AndSize(term, &n)
    cdef unsigned int c = 0xFFFFFFFFU
    for i in range(n):
        c = _CRC[(c ^ <unsigned char> s[i]) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFFU


def crc_ids(list terms):
    """``kernels.crc_ids_py``: the stable id of each term (CRC-32 of its UTF-8 bytes), with
    no memo to fill: hashing a few bytes in C costs less than looking the term up."""
    return [_crc32(<str?> t) for t in terms]


def simhash_texts(list texts, Py_ssize_t min_tokens=10):
    """``kernels.simhash_texts_py``: the SimHash of each token list (``None`` under
    ``min_tokens``), token ids hashed here as ``crc_ids`` does."""
    cdef Py_ssize_t r, i, n, shingles
    cdef unsigned long long h, value, a, b, c
    cdef long long votes[64]
    cdef int bit
    cdef list out = []
    cdef list tokens
    for r in range(len(texts)):
        tokens = <list?> texts[r]
        n = len(tokens)
        if n < min_tokens or n < 3:
            out.append(None)
            continue
        for bit in range(64):
            votes[bit] = 0
        shingles = n - 2
        a = _crc32(<str?> tokens[0])
        b = _crc32(<str?> tokens[1])
        for i in range(2, n):
            c = _crc32(<str?> tokens[i])
            h = a * _K1 + b * _K2 + c
            h ^= h >> 30
            h *= _MIX1
            h ^= h >> 27
            h *= _MIX2
            h ^= h >> 31
            while h:
                bit = __builtin_ctzll(h)
                votes[bit] += 1
                h &= h - 1
            a = b
            b = c
        value = 0
        for bit in range(64):
            if votes[bit] * 2 > shingles:
                value |= 1ULL << bit
        out.append(value)
    return out


cdef struct _Term:
    unsigned int id
    Py_ssize_t pos


cdef int _by_id(const void *a, const void *b) noexcept nogil:
    cdef const _Term *x = <const _Term *> a
    cdef const _Term *y = <const _Term *> b
    if x.id != y.id:
        return -1 if x.id < y.id else 1
    return -1 if x.pos < y.pos else (1 if x.pos > y.pos else 0)


def term_table(dict tf, object names, object head_names):
    """``kernels.term_table_py``: an item's terms as the engine reads them."""
    cdef Py_ssize_t n = len(tf), i, m = 0
    cdef unsigned int *ids
    cdef double *counts
    cdef cnp.npy_bool *mask
    cdef list terms = list(tf)
    cdef dict words = {}
    cdef list name_ids = [], head_ids = []
    cdef _Term *order = <_Term *> malloc((n + 1) * sizeof(_Term))
    if order == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            term = terms[i]
            order[i].id = _crc32(<str?> term)
            order[i].pos = i
            words[order[i].id] = term  # as dict(zip(ids, tf)): a repeated id keeps its place
            if term in names:
                name_ids.append(order[i].id)
        qsort(order, n, sizeof(_Term), _by_id)
        ids_a = np.empty(n, dtype=np.uint32)
        counts_a = np.empty(n)
        mask_a = np.empty(n, dtype=np.bool_)
        ids = <unsigned int *> _ptr(ids_a)
        counts = <double *> _ptr(counts_a)
        mask = <cnp.npy_bool *> _ptr(mask_a)
        for i in range(n):
            if i + 1 < n and order[i + 1].id == order[i].id:
                continue  # a repeated id: the last term wins, as in ``words``
            term = terms[order[i].pos]
            ids[m] = order[i].id
            counts[m] = <double> tf[term]  # as np.array(..., float64): no cut to an integer
            mask[m] = term in names
            m += 1
        for term in head_names:  # any iterable, each a term of ``tf``: ``id_of[t]``
            if term not in tf:
                raise KeyError(term)
            head_ids.append(_crc32(<str?> term))
        name_ids.sort()
        head_ids.sort()
        return words, ids_a[:m], counts_a[:m], mask_a[:m], name_ids, head_ids
    finally:
        free(order)


def content_counts(list tokens, object stop, Py_ssize_t stem_len, dict memo, dict aliases):
    """``kernels.content_counts_py``: each content term's count, in first-seen order."""
    cdef dict tf = {}
    cdef Py_ssize_t i, n = len(tokens)
    cdef object got
    cdef str tok, term, alias
    for i in range(n):
        tok = <str?> tokens[i]
        got = memo.get(tok)
        if got is None:
            if len(tok) < 2 or tok in stop:
                term = ""
            else:
                alias = <str?> aliases.get(tok, tok)
                term = alias if alias.isdigit() else alias[:stem_len]
            memo[tok] = term
        else:
            term = <str?> got
        if term:
            got = tf.get(term)
            tf[term] = 1 if got is None else <long> got + 1
    return tf
