"""Processors: parse raw items, assign them to stories, and sink the results into ClickHouse."""
