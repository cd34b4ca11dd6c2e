"""Features computed ahead (``featurise``, or a batch with ``featurise_many``) give exactly the
decisions the engine makes alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.stories import EngineConfig, StoryDoc, StoryEngine
from processors.stories.features import featurise, featurise_many
from processors.stories.text import simhash, simhash_many, tokenise
from tests.unit.stories.docs import QUAKE_1, QUAKE_2


def _docs() -> list[StoryDoc]:
    t0 = datetime(2026, 1, 24, 8, tzinfo=UTC)
    docs = []
    for i in range(60):
        title, text = (QUAKE_1, QUAKE_2)[i % 2]
        words = text.split()
        del words[i % len(words)]
        docs.append(StoryDoc(id=f"i{i}", title=f"{title} {i // 5}", text=" ".join(words),
                             published_at=t0 + timedelta(minutes=i), lang="en",
                             guid=f"g{i // 3}" if i % 9 == 0 else None))
    docs.append(docs[3])  # an exact copy
    return docs


def test_decisions_are_the_same_with_features_computed_ahead():
    cfg = EngineConfig()
    alone, ahead = StoryEngine(cfg), StoryEngine(cfg)
    for doc in _docs():
        a = alone.assign(doc)
        b = ahead.assign(doc, featurise(doc, cfg.stem_len))
        assert (a.story_id, a.relation, a.score, a.evidence, a.state_changes) == (
            b.story_id, b.relation, b.score, b.evidence, b.state_changes)
    assert {a.relation for a in map(StoryEngine(cfg).assign, _docs())} >= {"new", "duplicate"}


def test_batch_features_equal_one_by_one_whatever_the_batch():
    """``featurise_many`` hashes a whole batch in one pass of array operations; shingles must
    never cross from one item into the next, and too-short items keep no SimHash. A repeat of
    an earlier item of the batch, or of a hash the caller knows, gets None (the engine answers
    copies from its hash index)."""
    cfg = EngineConfig()
    docs = _docs() + [StoryDoc(id="tiny", title="Short", text="only five words here", published_at=None),
                      StoryDoc(id="empty", title="", text="", published_at=None)]
    one_by_one = [featurise(d, cfg.stem_len) for d in docs]
    assert one_by_one[-1].simhash is None and one_by_one[-2].simhash is None
    assert sum(f.simhash is not None for f in one_by_one) >= 60

    def key(f):
        return (f.simhash, f.content_hash, f.ids.tolist(), f.log_tf.tolist(), f.name_ids)

    copy = len(_docs()) - 1  # docs[3] again
    for size in (1, 2, 7, len(docs)):
        batched = [f for s in range(0, len(docs), size)
                   for f in featurise_many(docs[s:s + size], cfg.stem_len)]
        if size > copy:  # the copy shares a batch with its original (index 3)
            assert batched[copy] is None
        assert [key(f) for f in batched if f is not None] == [
            key(f) for f, b in zip(one_by_one, batched, strict=True) if b is not None], size
    known = {one_by_one[0].content_hash}
    assert featurise_many(docs[:2], cfg.stem_len, known)[0] is None


def test_decisions_are_the_same_with_a_batchs_features_and_its_copies():
    cfg = EngineConfig()
    alone, batched = StoryEngine(cfg), StoryEngine(cfg)
    docs = _docs() + _docs()[:10]  # the second pass: all copies
    features = featurise_many(docs, cfg.stem_len)
    assert sum(f is None for f in features) >= 11
    for doc, f in zip(docs, features, strict=True):
        a, b = alone.assign(doc), batched.assign(doc, f)
        assert (a.story_id, a.relation, a.score, a.evidence, a.state_changes) == (
            b.story_id, b.relation, b.score, b.evidence, b.state_changes)


def test_simhash_of_a_batch_is_each_items_own():
    rows = [tokenise(f"{t} {x}") for t, x in ((QUAKE_1, QUAKE_2), (QUAKE_2, QUAKE_1))]
    rows.insert(1, ["too", "short"])
    assert simhash_many(rows) == [simhash(r) for r in rows]
    assert simhash_many(rows)[1] is None and simhash_many([]) == []


def test_bit_counts_in_16_bit_lanes_equal_the_plain_sum_and_long_items_take_the_plain_path():
    """``_bit_counts`` sums four 16-bit counters per word; an item of 65,536+ shingles would
    carry between counters, so it takes the plain sum. Both give the exact counts."""
    import numpy as np

    from processors.stories.kernels import bit_counts as _bit_counts

    rng = np.random.default_rng(7)
    for lengths in ([1, 3, 150, 2, 900], [70_000, 5, 300]):
        hashes = rng.integers(0, 2**63, sum(lengths), dtype=np.uint64)
        hashes[: lengths[0]] = np.uint64(2**64 - 1)  # a first item with every bit set: the max count
        bits = np.unpackbits(hashes.view(np.uint8), bitorder="little").reshape(-1, 64)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        plain = np.add.reduceat(bits, starts, axis=0, dtype=np.int64)
        assert np.array_equal(_bit_counts(bits, starts, max(lengths)), plain)
    assert plain[0, 0] == 70_000  # the long item: counted past 16 bits


def test_a_very_long_item_hashes_the_same_alone_and_in_a_batch():
    words = [f"w{i % 5000}" for i in range(66_000)]  # 65,998 shingles: the plain path
    rows = [tokenise(f"{QUAKE_1} {QUAKE_2}"), words]
    assert simhash_many(rows) == [simhash(r) for r in rows]


def test_packed_features_sent_by_a_helper_unpack_to_the_same_decisions():
    """``wirestream cluster``'s helper sends a chunk's features as ``PackedFeatures`` (through
    pickle): unpacked, they are field for field the features computed here, repeats stay
    None, an empty batch packs, and the engine decides exactly the same on them."""
    import pickle

    from processors.stories.features import PackedFeatures

    cfg = EngineConfig()
    docs = _docs() + [StoryDoc(id="empty", title="", text="", published_at=None)]
    features = featurise_many(docs, cfg.stem_len)
    assert None in features  # the copy of docs[3]
    unpacked = pickle.loads(pickle.dumps(PackedFeatures.of(features))).unpack()
    assert len(unpacked) == len(features)
    for mine, theirs in zip(features, unpacked, strict=True):
        if mine is None:
            assert theirs is None
            continue
        for field in mine.__slots__:
            a, b = getattr(mine, field), getattr(theirs, field)
            assert (a.tolist() == b.tolist() and a.dtype == b.dtype) if hasattr(a, "dtype") else a == b
    here, there = StoryEngine(cfg), StoryEngine(cfg)
    for doc, f, g in zip(docs, features, unpacked, strict=True):
        a, b = here.assign(doc, f), there.assign(doc, g)
        assert (a.story_id, a.relation, a.score, a.evidence) == (b.story_id, b.relation, b.score, b.evidence)
    assert PackedFeatures.of([None, None]).unpack() == [None, None]
    assert PackedFeatures.of([]).unpack() == []


def test_term_ids_are_crc32_of_the_term_when_the_memo_fills_mid_batch(monkeypatch):
    """The memo of term ids is cleared when full, also between a batch's hits and its misses:
    every id must still be the term's CRC32 (ids are persisted in the engine's state)."""
    import zlib

    from processors.stories import text

    monkeypatch.setattr(text, "_IDS", {})
    monkeypatch.setattr(text, "_MEMO_MAX", 4)
    crc = [zlib.crc32(t.encode()) for t in "abcdefg"]
    assert text.term_ids(["a", "b", "a"]) == [crc[0], crc[1], crc[0]]
    assert text.term_ids(["a", "c", "d", "e"]) == [crc[0], crc[2], crc[3], crc[4]]  # clears
    assert text.term_ids(["f", "f", "g", "a"]) == [crc[5], crc[5], crc[6], crc[0]]
    assert len(text._IDS) <= 4 + 4  # bounded: one batch's terms past the cap at most
