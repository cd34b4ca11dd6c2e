"""The ClickHouse sink: a plain confluent-kafka consumer with explicit batches and commits.

Why not a faust agent: faust acks buffered events in ``Stream.take``'s ``finally`` and its
supervisor restarts a crashed agent without re-reading the batch, so a failed insert can be
acknowledged (faust #606, #323, #517). Here the order is always insert -> commit.
"""
