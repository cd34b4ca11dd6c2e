"""Small hand-written items for the story-engine tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from processors.stories import StoryDoc

T0 = datetime(2026, 1, 24, 8, 0, tzinfo=UTC)

QUAKE_1 = (
    "Strong earthquake hits northern Chile",
    "A magnitude 7.1 earthquake struck near the Chilean port city of Iquique on Tuesday, "
    "the national emergency office Onemi said. Buildings swayed in Iquique and Arica and "
    "residents fled to higher ground after a tsunami warning was issued for the coast.",
)
QUAKE_2 = (
    "Chile lifts tsunami warning after Iquique earthquake",
    "Authorities in Chile lifted the tsunami warning for the northern coast hours after the "
    "magnitude 7.1 earthquake near Iquique. Onemi said damage in Iquique and Arica was light "
    "and no deaths were reported, though power was cut in several districts.",
)
ELECTION = (
    "Dutch coalition talks stall over housing",
    "Negotiators for four parties in The Hague broke off talks on Thursday after failing to "
    "agree on rent controls and the budget for social housing, the informateur told reporters. "
    "A new round is planned for next week.",
)


def doc(item_id: str, pair: tuple[str, str], hours: float = 0.0, **kw) -> StoryDoc:
    title, text = pair
    return StoryDoc(id=item_id, title=title, text=text,
                    published_at=T0 + timedelta(hours=hours), lang="en", **kw)


def random_docs(n: int, seed: int = 0, hours_apart: float = 1.0) -> list[StoryDoc]:
    """Unrelated items: each draws its words from its own made-up vocabulary."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        words = [f"{rnd.choice('bdfgklmnprstvz')}{rnd.choice('aeiou')}{rnd.randrange(10**6)}x"
                 for _ in range(40)]
        out.append(StoryDoc(id=f"r{i}", title=" ".join(words[:6]), text=" ".join(words[6:]),
                            published_at=T0 + timedelta(hours=i * hours_apart), lang="en"))
    return out
