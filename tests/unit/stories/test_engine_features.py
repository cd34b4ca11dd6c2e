"""Features computed ahead (``featurise``) give exactly the decisions the engine makes alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.stories import EngineConfig, StoryDoc, StoryEngine
from processors.stories.features import featurise
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
