"""What the engine reads of one item's text, computed before (and apart from) the decision.

Everything here is a pure function of the item and the stemming length: no story state is
involved. That split lets a caller compute features for the next items in another process
while the engine decides on the current one (``wirestream cluster --jobs``), and the engine
decides exactly the same whether it was handed the features or computed them itself.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

import numpy as np

from processors.stories.kernels import term_table
from processors.stories.model import StoryDoc
from processors.stories.story import YEAR_IDS
from processors.stories.text import (
    DocTerms,
    extract_terms,
    hash_tokens,
    simhash,
    simhash_many,
    tokenise,
)


@dataclass(slots=True, frozen=True)
class ItemFeatures:
    """An item's content hash, content terms, names, language and SimHash."""

    content_hash: str
    names: frozenset[str]  # content terms written as names
    lang: str
    head_names: list[int]  # term ids of the headline's names, sorted
    simhash: int | None
    n_tokens: int
    words: dict[int, str]  # term id -> content term
    ids: np.ndarray  # uint32, the term ids, sorted
    log_tf: np.ndarray  # float64, 1 + log(count), aligned with ``ids``
    name_mask: np.ndarray  # bool, which of ``ids`` are names
    name_ids: list[int]  # term ids of ``names``, sorted
    years: frozenset[int]  # the term ids among ``ids`` that are years


def full_text(doc: StoryDoc) -> str:
    return f"{doc.title}\n{doc.text}"


def content_hash(doc: StoryDoc, tokens: list[str]) -> str:
    """The source's hash when it sent one, else a hash of the normalised tokens."""
    return doc.content_hash or hash_tokens(tokens)


def featurise(
    doc: StoryDoc, stem_len: int, tokens: list[str] | None = None, chash: str | None = None
) -> ItemFeatures:
    """All features of one item (``tokens``, ``chash``: its tokenised full text and content
    hash, when the caller already has them)."""
    text = full_text(doc)
    if tokens is None:
        tokens = tokenise(text)
    terms = extract_terms(text, doc.lang, stem_len, tokens, doc.title)
    return _features(doc, terms, simhash(terms.tokens), chash or content_hash(doc, tokens))


def featurise_many(
    docs: list[StoryDoc], stem_len: int, known: Container[str] = frozenset()
) -> list[ItemFeatures | None]:
    """``featurise`` of each item, the SimHashes computed in one batch (``simhash_many``):
    what a stage that reads items a poll at a time hands to ``StoryEngine.assign``.

    ``None`` for an item whose content hash is in ``known`` or repeats an earlier item of the
    batch: the engine answers an exact copy from its hash index without reading features, and
    computes its own in the rare case it needs them (the first copy was forgotten). A feed
    that repeats itself must not pay the full text analysis for every repeat.
    """
    out: list[ItemFeatures | None] = [None] * len(docs)
    rows: list[tuple[int, DocTerms, str]] = []
    here: set[str] = set()
    for i, doc in enumerate(docs):
        text = full_text(doc)
        tokens = tokenise(text)
        chash = content_hash(doc, tokens)
        if chash in known or chash in here:
            continue
        here.add(chash)
        rows.append((i, extract_terms(text, doc.lang, stem_len, tokens, doc.title), chash))
    hashes = simhash_many([terms.tokens for _, terms, _ in rows])
    for (i, terms, chash), value in zip(rows, hashes, strict=True):
        out[i] = _features(docs[i], terms, value, chash)
    return out


def _features(doc: StoryDoc, terms: DocTerms, simhash_value: int | None, chash: str) -> ItemFeatures:
    words, ids, counts, name_mask, name_ids, head_ids = term_table(
        terms.tf, terms.names, terms.head_names)
    return ItemFeatures(
        content_hash=chash,
        names=terms.names,
        lang=terms.lang,
        head_names=head_ids,
        simhash=simhash_value,
        n_tokens=len(terms.tokens),
        words=words,
        ids=ids,
        log_tf=1.0 + np.log(counts),  # numpy's log: the weights must not depend on the build
        name_mask=name_mask,
        name_ids=name_ids,
        years=YEAR_IDS.intersection(words),
    )


@dataclass(slots=True, frozen=True)
class PackedFeatures:
    """A batch of ``ItemFeatures`` as three arrays and the small per-item fields: what a
    helper process sends back. Unpickling three arrays instead of three per item halves the
    time the deciding process spends reading a helper's result (~26 -> ~13 µs per short item,
    measured), and that process is the one ``wirestream cluster`` waits for."""

    rows: list[tuple | None]  # per item: the fields not in the arrays, or None (a repeat)
    ids: np.ndarray  # uint32, every item's ``ids`` one after the other
    log_tf: np.ndarray  # float64, aligned with ``ids``
    name_mask: np.ndarray  # bool, aligned with ``ids``

    @classmethod
    def of(cls, features: list[ItemFeatures | None]) -> PackedFeatures:
        present = [f for f in features if f is not None]
        rows = [None if f is None else (
            f.content_hash, f.names, f.lang, f.head_names, f.simhash, f.n_tokens, f.words,
            f.name_ids, f.years) for f in features]
        if not present:
            return cls(rows, np.zeros(0, np.uint32), np.zeros(0), np.zeros(0, bool))
        return cls(rows, np.concatenate([f.ids for f in present]),
                   np.concatenate([f.log_tf for f in present]),
                   np.concatenate([f.name_mask for f in present]))

    def unpack(self) -> list[ItemFeatures | None]:
        """The features again, their arrays views into the packed ones (never written to:
        the engine builds new arrays from an item's)."""
        out: list[ItemFeatures | None] = []
        start = 0
        for row in self.rows:
            if row is None:
                out.append(None)
                continue
            chash, names, lang, head, sim, n_tokens, words, name_ids, years = row
            end = start + len(words)
            out.append(ItemFeatures(chash, names, lang, head, sim, n_tokens, words,
                                    self.ids[start:end], self.log_tf[start:end],
                                    self.name_mask[start:end], name_ids, years))
            start = end
        return out
