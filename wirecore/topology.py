"""The pipeline's topology in one place: topics, consumer groups, who reads what, relations.

Every command, status view, metric exporter and deploy test reads these names from here, so
a rename or a new stage is one edit. Names get the configured prefix (``Topology(prefix)``)
so tests and tenants can share one cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

# logical topic names -> what flows there
RAW = "raw"  # untouched source bytes + provenance headers (producers)
ITEMS = "items"  # parsed WireItem JSON (parse stage)
STORIES = "stories"  # StoryEvent JSON (stories stage)
DLQ = "dlq"  # DeadLetter JSON from every stage
STORY_STATE = "story-state"  # compacted changelog of the story engines, one partition per shard
TOPICS = (RAW, ITEMS, STORIES, DLQ, STORY_STATE)
COMPACTED = (STORY_STATE,)

# consumer groups -> the logical topics they read
PROCESSORS = "processors"  # the worker's parse loop
STORY_WORKERS = "stories"  # the worker's transactional stories loop (one engine per partition)
SINK = "sink"  # the exactly-once ClickHouse sink
READS: dict[str, tuple[str, ...]] = {
    PROCESSORS: (RAW,),
    STORY_WORKERS: (ITEMS,),
    SINK: (STORIES, DLQ),
}

# the story engine's decisions, in the order analysts expect to read them
NEW = "new"
UPDATE = "update"
REVISION = "revision"
DUPLICATE = "duplicate"
RELATIONS = (NEW, UPDATE, REVISION, DUPLICATE)


@dataclass(frozen=True)
class Topology:
    """Concrete names for one deployment (``prefix`` from ``WIRESTREAM_TOPIC_PREFIX``)."""

    prefix: str = ""
    partitions: int = 3
    items_partitions: int = 1
    stories_partitions: int = 1

    def topic(self, name: str) -> str:
        """``topic("raw")`` -> ``wire.raw`` (with the configured prefix)."""
        if name not in TOPICS:
            raise KeyError(f"unknown topic {name!r}; known: {', '.join(TOPICS)}")
        return f"{self.prefix}wire.{name}"

    def group(self, name: str) -> str:
        if name not in READS:
            raise KeyError(f"unknown consumer group {name!r}; known: {', '.join(READS)}")
        return f"{self.prefix}wirestream-{name}"

    def reads(self, group: str) -> list[str]:
        """The concrete topics a group consumes."""
        return [self.topic(t) for t in READS[group]]

    def plan(self) -> dict[str, int]:
        """topic name -> partition count, for idempotent creation."""
        counts = {RAW: self.partitions, ITEMS: self.items_partitions, STORIES: self.stories_partitions, DLQ: 1,
                  STORY_STATE: self.items_partitions}  # changelog partition p = shard p
        return {self.topic(t): counts[t] for t in TOPICS}

    def all_topics(self) -> list[str]:
        return [self.topic(t) for t in TOPICS]
