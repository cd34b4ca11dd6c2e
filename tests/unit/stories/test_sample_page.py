"""The Dutch ANP sample: five Minneapolis items form one story; the rest stand alone."""

from __future__ import annotations

from processors.stories import StoryEngine


def test_sample_page_splits_into_eight_items(sample_docs):
    assert len(sample_docs) == 8
    assert sum("Minneapolis" in d.text for d in sample_docs) == 5


def test_minneapolis_items_form_one_story_and_the_others_stand_alone(sample_docs):
    engine = StoryEngine()
    story_of = {d.id: engine.assign(d).story_id for d in sample_docs}
    minneapolis = {story_of[d.id] for d in sample_docs if "Minneapolis" in d.text}
    others = [story_of[d.id] for d in sample_docs if "Minneapolis" not in d.text]
    assert len(minneapolis) == 1
    assert len(set(others)) == 3
    assert minneapolis.isdisjoint(others)


def test_the_washington_item_joins_by_shared_terms(sample_docs):
    engine = StoryEngine()
    decisions = {d.id: engine.assign(d) for d in sample_docs}
    trump = next(d for d in sample_docs if "Walz" in d.text and d.places == ["WASHINGTON"])
    a = decisions[trump.id]
    assert a.relation == "update"
    assert "minneap" in a.evidence["shared_terms"]
