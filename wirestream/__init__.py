"""wirestream: live news wire feeds -> Kafka -> parsed stories -> ClickHouse.

This package holds the glue people touch (CLI, settings, the local broker); the data path
itself lives in ``producers`` (source -> wire.raw) and ``processors`` (wire.raw -> ClickHouse).
"""
