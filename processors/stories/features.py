"""What the engine reads of one item's text, computed before (and apart from) the decision.

Everything here is a pure function of the item and the stemming length: no story state is
involved. That split lets a caller compute features for the next items in another process
while the engine decides on the current one (``wirestream cluster --jobs``), and the engine
decides exactly the same whether it was handed the features or computed them itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from processors.stories.model import StoryDoc
from processors.stories.text import extract_terms, hash_tokens, simhash, term_ids, tokenise


@dataclass(slots=True, frozen=True)
class ItemFeatures:
    """An item's content hash, content terms, names, language and SimHash."""

    content_hash: str
    tf: dict[str, int]  # content term -> count
    names: frozenset[str]  # content terms written as names
    lang: str
    head_names: list[int]  # term ids of the headline's names, sorted
    simhash: int | None
    n_tokens: int


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
    return ItemFeatures(
        content_hash=chash or content_hash(doc, tokens),
        tf=terms.tf,
        names=terms.names,
        lang=terms.lang,
        head_names=sorted(term_ids(sorted(terms.head_names))),
        simhash=simhash(terms.tokens),
        n_tokens=len(terms.tokens),
    )
