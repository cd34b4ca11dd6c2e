"""The compiled inner loops decide exactly as their pure-Python references.

A machine without a C compiler runs ``kernels.*_py``; this one runs ``_kernels``. If the two
differed in one float addition, the same stream could give other stories depending on how
wirestream was installed, so every comparison here is for equality, not closeness. Inputs are
random (hypothesis) and shaped like the engine's: sorted unique uint32 ids, float64 item
weights, float32 centroid weights, ties on purpose.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.stories import kernels
from processors.stories.index import StoryIndex
from processors.stories.story import Story

compiled = pytest.importorskip("processors.stories._kernels", reason="built by pip install")

# Few distinct ids and weights, so that shared terms and exact ties are common.
_IDS = st.lists(st.integers(0, 60), max_size=40, unique=True).map(sorted)
_WEIGHT = st.sampled_from([0.0, 0.125, 0.25, 0.1, 0.3, 0.7, 1.0 / 3.0, 2.5])


def _story(sid: str, ids: list[int], weights: list[float]) -> Story:
    return Story(story_id=sid, seq=0, version=1, headline=sid, first_ts=None, last_ts=None,
                 active_ts=None, last_arrival=0, item_count=1,
                 term_ids=np.array(ids, dtype=np.uint32),
                 weights=np.array(weights, dtype=np.float32), norm=1.0)


@st.composite
def _stories(draw: st.DrawFn, max_stories: int = 20, min_stories: int = 0) -> list[Story]:
    out = []
    for k in range(draw(st.integers(min_stories, max_stories))):
        ids = draw(_IDS)
        out.append(_story(f"s{draw(st.integers(0, 99)):02d}-{k}", ids,
                          draw(st.lists(_WEIGHT, min_size=len(ids), max_size=len(ids)))))
    return out


@st.composite
def _item(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = draw(_IDS)
    weights = draw(st.lists(_WEIGHT, min_size=len(ids), max_size=len(ids)))
    names = draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)))
    w = np.array(weights, dtype=np.float64)
    return np.array(ids, dtype=np.uint32), w, w * w * np.array(names, dtype=bool)


@settings(max_examples=150, deadline=None)
@given(item=_item(), stories=_stories(min_stories=1), names=st.booleans())  # the scorer
# returns before it asks for none
def test_centroid_sims_equal_the_reference(item, stories, names) -> None:
    ids, weights, name_w = item
    for story in stories[::2]:  # and empty centroids (norm 0) among them
        story.norm = float(np.sqrt(np.dot(story.weights.astype(np.float64),
                                          story.weights.astype(np.float64))))
    want = kernels.centroid_sims_py(ids, weights, stories, name_w if names else None)
    got = compiled.centroid_sims(ids, weights, stories, name_w if names else None)
    for g, w in zip(got[:2], want[:2], strict=True):
        assert g.tobytes() == w.tobytes()
    assert (got[2] is None) == (want[2] is None)
    if names:
        assert got[2].tobytes() == want[2].tobytes()


@settings(max_examples=150, deadline=None)
@given(item=_item(), stories=_stories(40), k=st.integers(1, 30),
       max_posting=st.integers(1, 50), max_candidates=st.integers(1, 15),
       index_terms=st.integers(1, 40))
def test_candidates_equal_the_reference(item, stories, k, max_posting, max_candidates,
                                        index_terms) -> None:
    ids, weights, _ = item
    index = StoryIndex(index_terms)
    for story in stories:
        index.add_story(story)
    for story in stories[::3]:  # free slots and shorter postings, as eviction leaves them
        index.remove_story(story)
    args = (ids, weights, k, index.postings, max_posting, max_candidates, index.slot_stories,
            index.slot_ids)
    want_found, want_touched = kernels.rank_candidates_py(*args)
    got_found, got_touched = compiled.rank_candidates(*args, index.scratch)
    assert got_touched == want_touched
    assert [s.story_id for s in got_found] == [s.story_id for s in want_found]


@settings(max_examples=150, deadline=None)
@given(old=_IDS, new=_IDS, data=st.data())
def test_merged_centroids_equal_the_reference(old, new, data) -> None:
    old_w = np.array(data.draw(st.lists(st.floats(0, 50, width=32), min_size=len(old),
                                        max_size=len(old))), dtype=np.float32)
    new_w = np.array(data.draw(st.lists(st.floats(0, 1, width=32), min_size=len(new),
                                        max_size=len(new))), dtype=np.float32)
    old_ids, new_ids = np.array(old, dtype=np.uint32), np.array(new, dtype=np.uint32)
    want = kernels.merge_sorted_py(old_ids, old_w, new_ids, new_w)
    got = compiled.merge_sorted(old_ids, old_w, new_ids, new_w)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def test_the_engine_runs_the_compiled_loops_when_they_are_built() -> None:
    """Built here (``make test`` installs with a compiler), so this run measures and checks
    what a deployment runs; ``COMPILED`` False would mean the build silently fell back."""
    assert kernels.COMPILED
    assert kernels.rank_candidates is compiled.rank_candidates


_TIME = st.one_of(st.none(), st.sampled_from([0.0, 3600.0, 7200.5, 86400.0, 1.7e9, 1.7e9 + 1]))


@settings(max_examples=150, deadline=None)
@given(stories=_stories(min_stories=1), data=st.data(),
       ts=st.sampled_from([0.0, 5000.0, 1.7e9 + 0.5]), half_life=st.sampled_from([6.0, 24.0]))
def test_story_gaps_equal_the_reference(stories, data, ts, half_life) -> None:
    for story in stories:
        first, last = data.draw(_TIME), data.draw(_TIME)
        if first is None or last is None:
            story.first_ts = story.last_ts = None
        else:
            story.first_ts, story.last_ts = min(first, last), max(first, last)
    sims = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.2, 0.5]), min_size=len(stories),
                                       max_size=len(stories))))
    want = kernels.story_gaps_py(stories, ts, sims, half_life)
    got = compiled.story_gaps(stories, ts, sims, half_life)
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.tobytes()


@settings(max_examples=150, deadline=None)
@given(stories=_stories(min_stories=1), data=st.data(),
       join=st.sampled_from([0.2, 0.3, 1.0]), at_least=st.integers(0, 5))
def test_ranked_scores_equal_the_reference(stories, data, join, at_least) -> None:
    for k, story in enumerate(stories):
        story.seq = data.draw(st.integers(0, 1000)) * 100 + k  # unique, in random order
    final = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.9]),
                                        min_size=len(stories), max_size=len(stories))))
    assert (compiled.rank_scores(final, stories, join, at_least)
            == kernels.rank_scores_py(final, stories, join, at_least))


def test_a_posting_slot_past_the_stories_is_refused_not_written() -> None:
    index = StoryIndex(24)
    index.add_story(_story("a", [5], [1.0]))
    index.postings[5] = 7  # damaged: no story has slot 7
    with pytest.raises(IndexError, match="slot 7 out of range"):
        compiled.rank_candidates(np.array([5], dtype=np.uint32), np.ones(1), 24, index.postings,
                                 200, 12, index.slot_stories, index.slot_ids, index.scratch)


def test_arrays_of_another_type_are_refused_not_misread() -> None:
    """A float64 centroid read as float32 would score garbage, silently."""
    story = _story("a", [1, 2], [0.5, 0.5])
    story.weights = story.weights.astype(np.float64)
    with pytest.raises(TypeError, match="contiguous 1-d array"):
        compiled.centroid_sims(np.array([1], dtype=np.uint32), np.ones(1), [story], None)


@settings(max_examples=150, deadline=None)
@given(ids=_IDS, data=st.data(), k=st.integers(0, 45))
def test_top_terms_equal_the_reference(ids, data, k) -> None:
    weights = np.array(data.draw(st.lists(st.sampled_from([0.5, 0.25, 1.0, 0.1, 3.0]),
                                          min_size=len(ids), max_size=len(ids))), dtype=np.float32)
    arr = np.array(ids, dtype=np.uint32)
    assert compiled.top_terms(arr, weights, k) == kernels.top_terms_py(arr, weights, k)


@settings(max_examples=200, deadline=None)
@given(entered=st.lists(st.integers(0, 2**32 - 1), max_size=30),
       left=st.lists(st.integers(0, 2**32 - 1), max_size=30))
def test_counted_terms_equal_the_reference(entered, left) -> None:
    """Ids that share low bits land in one counter (counted twice), and a counter taken
    below zero wraps as numpy's uint32 does: the same on both sides."""
    mask = (1 << 6) - 1
    want = np.arange(1 << 6, dtype=np.uint32) % 3
    got = want.copy()
    e, lft = np.array(entered, dtype=np.uint32), np.array(left, dtype=np.uint32)
    kernels.count_terms_py(want, e, lft, mask)
    compiled.count_terms(got, e, lft, mask)
    assert got.tobytes() == want.tobytes()


# Term ids from a narrow range at both ends of uint32: item and table share many.
_TERM = st.one_of(st.integers(0, 60), st.integers(2**32 - 60, 2**32 - 1))


@settings(max_examples=150, deadline=None)
@given(ids=st.lists(_TERM, max_size=40, unique=True).map(sorted),
       counts=st.lists(st.integers(0, 50), min_size=64, max_size=64),
       prior=st.lists(st.tuples(_TERM, st.floats(0, 1)), min_size=1,
                      max_size=30),  # the shipped table is never empty
       use_prior=st.booleans(), n=st.integers(0, 10**6), k=st.sampled_from([0.0, 2.0, 7.5]))
def test_idf_ratios_equal_the_reference(ids, counts, prior, use_prior, n, k) -> None:
    table = dict(prior)
    prior_ids = np.array(sorted(table), dtype=np.uint32)
    shares = np.array([table[t] for t in prior_ids.tolist()])
    args = (np.array(ids, dtype=np.uint32), np.array(counts, dtype=np.uint32), 63, n + k + 1,
            prior_ids if use_prior else None, shares if use_prior else None, k)
    assert compiled.idf_ratios(*args).tobytes() == kernels.idf_ratios_py(*args).tobytes()


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(0, 30), boost=st.sampled_from([1.0, 1.5, 0.5]))
def test_item_weights_equal_the_reference(data, n, boost) -> None:
    floats = st.floats(-3, 12, allow_nan=False)
    log_idf = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)))
    log_tf = np.array(data.draw(st.lists(st.floats(1, 4), min_size=n, max_size=n)))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    want = kernels.item_weights_py(log_idf, log_tf, mask, boost)
    assert compiled.item_weights(log_idf, log_tf, mask, boost).tobytes() == want.tobytes()


@settings(max_examples=150, deadline=None)
@given(item=_item(), stories=_stories(min_stories=1), k=st.integers(0, 10))
def test_shared_terms_equal_the_reference(item, stories, k) -> None:
    ids, weights, _ = item
    for story in stories:
        args = (ids, weights, story.term_ids, story.weights, k)
        assert compiled.shared_terms(*args) == kernels.shared_terms_py(*args)


_HASH = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 3, 2**63, 2**64 - 1]))


@settings(max_examples=150, deadline=None)
@given(arrays=st.lists(st.lists(_HASH, max_size=12), max_size=4), simhash=_HASH,
       max_bits=st.integers(0, 64))
def test_near_copies_equal_the_reference(arrays, simhash, max_bits) -> None:
    hashes = [np.array(a, dtype=np.uint64) for a in arrays]
    assert (compiled.near_copies(hashes, simhash, max_bits)
            == kernels.near_copies_py(hashes, simhash, max_bits))


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(st.tuples(st.booleans(), st.integers(0, 5),
                              st.lists(st.integers(0, 8), max_size=6)), max_size=40))
def test_postings_kept_alike(ops) -> None:
    """Random posts and unposts of a few slots under a few terms: the same postings, in the
    same form (a bare slot or an array, its order), on both sides."""
    want: dict = {}
    got: dict = {}
    for is_post, slot, terms in ops:
        if is_post:
            kernels.post_py(want, slot, terms)
            compiled.post(got, slot, terms)
        else:
            kernels.unpost_py(want, slot, terms)
            compiled.unpost(got, slot, terms)
        assert {t: v if type(v) is int else list(v) for t, v in got.items()} == {
            t: v if type(v) is int else list(v) for t, v in want.items()}
        assert {t: type(v) for t, v in got.items()} == {t: type(v) for t, v in want.items()}


def test_a_missing_or_stale_build_warns_and_falls_back() -> None:
    """Run where the compiled module cannot be imported (a stale build that lacks a name):
    the engine still imports, says why in the log, and runs the reference."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    code = (
        "import sys, types, logging; logging.basicConfig(level=logging.WARNING)\n"
        "sys.modules['processors.stories._kernels'] = types.ModuleType('stale')\n"
        "from processors.stories import kernels\n"
        "assert not kernels.COMPILED and kernels.rank_candidates is kernels.rank_candidates_py\n"
        "print('fallback ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "fallback ok" in done.stdout
    assert "compiled loops unavailable" in done.stderr and "cannot import name" in done.stderr


_TOKEN = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # no lone surrogates


@settings(max_examples=150, deadline=None)
@given(terms=st.lists(_TOKEN, max_size=40))
def test_term_ids_are_zlibs_crc32(terms) -> None:
    """Ids are persisted (state, story-frequency tables): the compiled hash must be zlib's."""
    assert compiled.crc_ids(terms) == kernels.crc_ids_py(terms)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.lists(st.one_of(_TOKEN, st.sampled_from(["the", "police", "ë"])),
                               max_size=40), max_size=6), min_tokens=st.sampled_from([3, 10]))
def test_simhash_texts_equal_the_reference(texts, min_tokens) -> None:
    assert (compiled.simhash_texts(texts, min_tokens)
            == kernels.simhash_texts_py(texts, min_tokens))


def test_a_lone_surrogate_fails_as_zlib_does() -> None:
    """No silent id for text that cannot be UTF-8: the same error as the reference."""
    with pytest.raises(UnicodeEncodeError):
        kernels.crc_ids_py([b"a\\ud800".decode("unicode_escape")])
    with pytest.raises(UnicodeEncodeError):
        compiled.crc_ids([b"a\\ud800".decode("unicode_escape")])


@settings(max_examples=150, deadline=None)
@given(tf=st.dictionaries(st.one_of(_TOKEN, st.sampled_from(["2026", "police", "oekrai"])),
                          st.integers(1, 9), max_size=40), data=st.data())
def test_term_tables_equal_the_reference(tf, data) -> None:
    keys = sorted(tf)
    names = frozenset(data.draw(st.lists(st.sampled_from(keys), max_size=8)) if keys else [])
    head = frozenset(data.draw(st.lists(st.sampled_from(keys), max_size=4)) if keys else [])
    want = kernels.term_table_py(tf, names, head)
    got = compiled.term_table(tf, names, head)
    assert list(got[0].items()) == list(want[0].items())  # the same order too
    for g, w in zip(got[1:4], want[1:4], strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
    assert got[4:] == want[4:]


def test_a_repeated_term_id_keeps_the_later_term_on_both_sides() -> None:
    """Two terms with one CRC-32 ("plumless" and "buckeroo" are a known pair)."""
    import zlib

    assert zlib.crc32(b"plumless") == zlib.crc32(b"buckeroo")
    tf = {"plumless": 2, "other": 1, "buckeroo": 3}
    want = kernels.term_table_py(tf, frozenset({"plumless"}), frozenset())
    got = compiled.term_table(tf, frozenset({"plumless"}), frozenset())
    assert list(got[0].items()) == list(want[0].items())
    assert got[2].tobytes() == want[2].tobytes() and got[3].tobytes() == want[3].tobytes()
    assert got[4:] == want[4:]


@settings(max_examples=150, deadline=None)
@given(tokens=st.lists(st.one_of(_TOKEN, st.sampled_from(
           ["de", "moskou", "a", "2026", "１２", "verkiezingen", "the", "the"])), max_size=40),
       stem_len=st.sampled_from([5, 7]), warm=st.booleans())
def test_content_counts_equal_the_reference(tokens, stem_len, warm) -> None:
    """Stopwords and one-letter tokens dropped, aliases folded, numbers (any script's digits)
    kept whole; the memo filled alike; the same counts in the same order."""
    stop = frozenset({"de", "the"})
    aliases = {"moskou": "moscow"}
    memo_py: dict[str, str] = {"the": ""} if warm else {}
    memo_c = dict(memo_py)
    want = kernels.content_counts_py(tokens, stop, stem_len, memo_py, aliases)
    got = compiled.content_counts(tokens, stop, stem_len, memo_c, aliases)
    assert list(got.items()) == list(want.items())
    assert memo_c == memo_py


def test_two_engines_in_two_threads_decide_as_each_alone() -> None:
    """Each index owns its candidate accumulators: engines in threads switching as often as
    the interpreter allows decide exactly as each does alone."""
    import sys
    import threading
    from datetime import UTC, datetime, timedelta

    from processors.stories import StoryDoc, StoryEngine

    words = ["flood", "river", "mayor", "bridge", "storm", "court", "trial", "judge", "vote",
             "party", "goal", "match", "coach", "fire", "blaze", "crew", "plant", "strike"]

    def stream(seed: int) -> list[StoryDoc]:
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        return [StoryDoc(id=f"{seed}-{i}", title=f"{words[(i * seed) % 18]} {words[(i + seed) % 18]}",
                         text=" ".join(words[(i * k + seed) % 18] for k in range(1, 12)),
                         published_at=t0 + timedelta(minutes=i), lang="en") for i in range(400)]

    def run(docs: list[StoryDoc], out: list) -> None:
        engine = StoryEngine()
        out.extend((a.story_id, a.relation, a.score) for a in map(engine.assign, docs))

    streams = [stream(3), stream(7)]
    alone: list[list] = [[], []]
    for docs, out in zip(streams, alone, strict=True):
        run(docs, out)
    together: list[list] = [[], []]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(d, o)) for d, o in zip(streams, together, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert together == alone and len(alone[0]) == 400


_STREAM = '''
import hashlib, random, sys, types
from datetime import UTC, datetime, timedelta
if sys.argv[1] == "reference":
    sys.modules["processors.stories._kernels"] = types.ModuleType("blocked")
from processors.stories import StoryDoc, StoryEngine, kernels
assert kernels.COMPILED == (sys.argv[1] == "compiled")
rnd = random.Random(5)
vocab = [f"{w}{k}" for w in ("storm", "vote", "trial", "match", "fire", "quake", "strike")
         for k in range(40)] + ["Minneapolis", "Utrecht", "2025", "2026", "police", "mayor"]
t0 = datetime(2026, 1, 1, tzinfo=UTC)
docs = []
for i in range(1500):
    if docs and rnd.random() < 0.1:  # an exact copy, or a revision (one word changed)
        d = rnd.choice(docs)
        words = d.text.split()
        if rnd.random() < 0.5:
            words[rnd.randrange(len(words))] = rnd.choice(vocab)
        docs.append(StoryDoc(id=f"r{i}", title=d.title, text=" ".join(words),
                             published_at=d.published_at, lang=d.lang))
        continue
    topic = rnd.randrange(60)
    words = [vocab[(topic * 4 + rnd.randrange(6)) % len(vocab)] if rnd.random() < 0.8 else
             rnd.choice(vocab) for _ in range(rnd.choice((8, 30, 120)))]
    text = " ".join(words)
    docs.append(StoryDoc(id=f"i{i}", title=" ".join(words[:6]).title(),
                         text=text.lower() if i % 5 == 0 else text,
                         published_at=t0 + timedelta(minutes=rnd.randrange(5000)),
                         lang=("en", "nl", "de")[topic % 3]))
engine = StoryEngine()
h = hashlib.sha256()
for d in docs:
    a = engine.assign(d)
    h.update(repr((a.story_id, a.relation, a.score, sorted(a.evidence.items()))).encode())
print(h.hexdigest())
'''


def test_the_reference_engine_decides_as_the_compiled_one() -> None:
    """The whole engine, end to end, once with the compiled loops and once with the import of
    them blocked (as on a machine without a C compiler): the same story ids, relations, scores
    and evidence for every item of a stream with copies, revisions, lowercased items, three
    languages and short, wire-sized and long texts."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    digests = [subprocess.run([sys.executable, "-c", _STREAM, mode], cwd=repo, capture_output=True,
                              text=True, timeout=300, check=True).stdout.strip()
               for mode in ("compiled", "reference")]
    assert len(digests[0]) == 64 and digests[0] == digests[1]


def test_input_of_another_type_is_refused_not_read_as_something_else() -> None:
    """Checked casts everywhere input enters: a wrong type raises, as the reference would
    (or more strictly), instead of being read through the wrong memory layout."""
    from array import array

    with pytest.raises(TypeError):
        compiled.simhash_texts([("a tuple", "not", "a", "list")], 3)
    with pytest.raises(TypeError):
        compiled.crc_ids([b"bytes"])
    with pytest.raises(TypeError):
        compiled.content_counts(["ok", 7], frozenset(), 7, {}, {})
    with pytest.raises(TypeError, match="array\\('i'\\)"):
        compiled.post({5: array("l", [1, 2])}, 3, [5])
    index = StoryIndex(24)
    index.add_story(_story("a", [5], [1.0]))
    index.add_story(_story("b", [5], [1.0]))
    index.postings[5] = array("q", [0, 1])
    with pytest.raises(TypeError, match="array\\('i'\\)"):
        compiled.rank_candidates(np.array([5], dtype=np.uint32), np.ones(1), 24, index.postings,
                                 200, 12, index.slot_stories, index.slot_ids, index.scratch)


# -- adversarial review: inputs where the compiled loops read, wrote or returned otherwise --


@pytest.mark.parametrize("max_candidates", [0, -1])
def test_no_candidates_kept_when_none_are_asked_for(max_candidates) -> None:
    """``max_candidates`` 0 took ``top[-1]`` of a 0-byte buffer (read and written out of
    bounds); below 0 it asked malloc for 2**64 - 8 bytes. The reference keeps none."""
    index = StoryIndex(24)
    for k in range(3):
        index.add_story(_story(f"s{k}", [5], [1.0]))
    args = (np.array([5], dtype=np.uint32), np.ones(1), 24, index.postings, 200,
            max_candidates, index.slot_stories, index.slot_ids)
    want = kernels.rank_candidates_py(*args)
    got = compiled.rank_candidates(*args, index.scratch)
    assert got == want == ([], 3)


def test_a_negative_query_length_slices_as_the_reference() -> None:
    """``order[:k]`` with k < 0 drops the last -k terms; the compiled loop took none."""
    index = StoryIndex(24)
    index.add_story(_story("a", [5], [1.0]))
    index.add_story(_story("b", [6], [1.0]))
    for k in (-1, -2, -3):
        args = (np.array([5, 6], dtype=np.uint32), np.array([1.0, 0.5]), k, index.postings, 200,
                12, index.slot_stories, index.slot_ids)
        want_found, want_touched = kernels.rank_candidates_py(*args)
        got_found, got_touched = compiled.rank_candidates(*args, index.scratch)
        assert got_touched == want_touched
        assert [s.story_id for s in got_found] == [s.story_id for s in want_found]


def test_more_scores_than_stories_raise_not_read_past_the_list() -> None:
    """``stories[i]`` for i past the list's end read whatever followed its item pointers."""
    final = np.array([0.5, 0.4, 0.1, 0.2])
    stories = [_story("a", [], [])]
    with pytest.raises(ValueError):
        kernels.rank_scores_py(final, stories, 0.3, 3)
    with pytest.raises(ValueError):
        compiled.rank_scores(final, stories, 0.3, 3)


def _run_isolated(code: str) -> None:
    """Run ``code`` in a child interpreter: an out-of-bounds read must not take pytest down."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "raised ok" in done.stdout


_SHRINKING = '''
import numpy as np
from processors.stories import _kernels as c
class Shrinking:
    """A story whose attribute reads empty the list being iterated (as a property might)."""
    def __init__(self, stories):
        self.stories = stories
        self.seq = 1
        self.norm = 1.0
        self.first_ts = self.last_ts = 0.0
        self.weights = np.ones(1, dtype=np.float32)
    @property
    def term_ids(self):
        del self.stories[:]
        return np.ones(1, dtype=np.uint32)
    def __getattribute__(self, name):
        if name in ("seq", "first_ts"):
            del object.__getattribute__(self, "stories")[:]
        return object.__getattribute__(self, name)
n = 200000
for call in (
    lambda s: c.centroid_sims(np.ones(1, dtype=np.uint32), np.ones(1), s, None),
    lambda s: c.story_gaps(s, 0.0, np.ones(n), 12.0),
    lambda s: c.rank_scores(np.ones(n), s, 0.5, 3),
):
    stories = []
    stories.extend(Shrinking(stories) for _ in range(n))
    try:
        call(stories)
    except IndexError:
        pass
    else:
        raise SystemExit("no IndexError")
print("raised ok")
'''


def test_a_story_list_emptied_during_the_loop_raises_not_reads_freed_memory() -> None:
    """The loops index ``stories`` by a length read once; Python code run in the loop (an
    attribute read) may shrink the list: the compiled loop must raise, not read past it."""
    _run_isolated(_SHRINKING)


def test_a_read_only_counter_table_is_refused_not_written() -> None:
    counts = np.zeros(64, dtype=np.uint32)
    counts.flags.writeable = False
    entered = np.array([1, 2], dtype=np.uint32)
    with pytest.raises(ValueError):
        kernels.count_terms_py(counts, entered, entered[:0], 63)
    with pytest.raises(ValueError, match="read-only"):
        compiled.count_terms(counts, entered, entered[:0], 63)
    assert not counts.any()


def test_arrays_in_another_byte_order_are_refused_not_misread() -> None:
    """A big-endian uint32 has numpy's uint32 type number; its bytes read natively are
    another id (1 -> 16777216)."""
    ids = np.array([1, 2], dtype=">u4")
    with pytest.raises(TypeError, match="contiguous 1-d array"):
        compiled.top_terms(ids, np.array([1.0, 2.0], dtype=">f4"), 2)
    with pytest.raises(TypeError, match="contiguous 1-d array"):
        compiled.near_copies([np.array([1], dtype=">u8")], 1, 0)
    unaligned = np.frombuffer(b"\0" + np.arange(4, dtype=np.uint32).tobytes(), np.uint32,
                              count=4, offset=1)
    assert not unaligned.flags.aligned
    with pytest.raises(TypeError, match="contiguous 1-d array"):
        compiled.top_terms(unaligned, np.ones(4, dtype=np.float32), 2)


@pytest.mark.parametrize(("ts", "first", "last"), [
    (float("nan"), 0.0, 100.0), (50.0, float("nan"), 100.0), (50.0, 0.0, float("nan")),
    (200.0, float("nan"), 100.0), (-50.0, 0.0, float("nan")), (float("inf"), 0.0, float("inf")),
])
def test_story_gaps_propagate_nan_as_numpy_maximum(ts, first, last) -> None:
    """``np.maximum`` returns NaN when either side is NaN; ``a >= b ? a : b`` returned the
    other side (a NaN clock or span gave a finite gap, a dated story, a recency bonus)."""
    story = _story("a", [], [])
    story.first_ts, story.last_ts = first, last
    sims = np.array([0.5])
    want = kernels.story_gaps_py([story], ts, sims, 12.0)
    got = compiled.story_gaps([story], ts, sims, 12.0)
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.tobytes()


@pytest.mark.parametrize(("old", "old_w", "new", "new_w"), [
    ([1], [-0.0], [2], [1.0]),  # kept from the old side: 0.0 + -0.0 in bincount is 0.0
    ([], [], [2], [-0.0]),  # no old side: the reference returns the new weights as they are
    ([1], [1.0], [2], [-0.0]),
    ([1], [-0.0], [1], [-0.0]),
])
def test_merged_negative_zeros_equal_the_reference(old, old_w, new, new_w) -> None:
    args = (np.array(old, np.uint32), np.array(old_w, np.float32), np.array(new, np.uint32),
            np.array(new_w, np.float32))
    want = kernels.merge_sorted_py(*args)
    got = compiled.merge_sorted(*args)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def test_term_counts_are_not_truncated_to_integers() -> None:
    """``<long long> tf[term]`` cut 2.5 to 2.0 silently; the reference's float64 keeps it."""
    tf = {"abc": 2.5, "def": 1}
    want = kernels.term_table_py(tf, frozenset(), frozenset())
    got = compiled.term_table(tf, frozenset(), frozenset())
    assert got[2].tobytes() == want[2].tobytes()


def test_headline_names_read_as_the_reference_reads_an_iterable() -> None:
    """``head_names`` is any iterable of terms of ``tf``: the reference maps each one (a
    repeat repeats its id, a term not in ``tf`` raises); ``term in head_names`` asked a
    list per term and consumed a generator."""
    tf = {"abc": 2, "def": 1, "ghi": 3}
    for head in (["abc", "abc"], ["ghi", "abc"], lambda: iter(["ghi", "abc"])):
        want = kernels.term_table_py(tf, frozenset(), head() if callable(head) else head)
        got = compiled.term_table(tf, frozenset(), head() if callable(head) else head)
        assert got[5] == want[5]
    with pytest.raises(KeyError):
        kernels.term_table_py(tf, frozenset(), ["zzz"])
    with pytest.raises(KeyError):
        compiled.term_table(tf, frozenset(), ["zzz"])
