"""Reference points for the evaluation: what the engine must beat.

- ``singletons``: every item its own story (B-cubed precision 1, recall minimal).
- ``TfidfBaseline``: the textbook single-pass clusterer — TF-IDF over document frequencies
  seen so far, cosine to every story centroid (a full scan), join the best above a threshold.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from processors.stories.model import StoryDoc
from processors.stories.text import extract_terms


def singletons(docs: Sequence[StoryDoc]) -> list[str]:
    return [d.id for d in docs]


class TfidfBaseline:
    """Single-pass TF-IDF centroid clustering with one threshold; no index, no time, no places."""

    def __init__(self, threshold: float = 0.2, stem_len: int = 7) -> None:
        self.threshold = threshold
        self.stem_len = stem_len
        self.df: Counter[str] = Counter()
        self.n_docs = 0
        self.centroids: list[dict[str, float]] = []
        self.norms: list[float] = []

    def assign(self, doc: StoryDoc) -> int:
        tf = extract_terms(f"{doc.title}\n{doc.text}", doc.lang, self.stem_len).tf
        self.n_docs += 1
        self.df.update(tf.keys())
        vec = {
            t: (1 + math.log(c)) * math.log((self.n_docs + 1) / (self.df[t] + 1)) + 1.0
            for t, c in tf.items()
        }
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        vec = {t: w / norm for t, w in vec.items()}
        best, best_sim = -1, -1.0
        for i, (cen, cnorm) in enumerate(zip(self.centroids, self.norms, strict=True)):
            sim = sum(w * cen.get(t, 0.0) for t, w in vec.items()) / cnorm
            if sim > best_sim:
                best, best_sim = i, sim
        if best < 0 or best_sim < self.threshold:
            self.centroids.append(defaultdict(float))
            self.norms.append(1.0)
            best = len(self.centroids) - 1
        cen = self.centroids[best]
        for t, w in vec.items():
            cen[t] += w
        self.norms[best] = math.sqrt(sum(w * w for w in cen.values()))
        return best

    def cluster(self, docs: Sequence[StoryDoc]) -> list[int]:
        return [self.assign(d) for d in docs]
