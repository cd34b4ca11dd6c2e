"""Producers: fetch wire items from real source formats and publish them untouched to ``wire.raw``."""
