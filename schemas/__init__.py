"""Contracts shared by producers and processors: topic payload schemas, models, ClickHouse DDL.

Both sides import from here so that a producer and a processor can never disagree about
what a message on a topic looks like.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import orjson

SCHEMA_DIR = Path(__file__).parent / "json"


@functools.cache
def load_schema(name: str) -> dict:
    """Return the JSON Schema for a topic payload, e.g. ``load_schema("wire_item")``."""
    text = resources.files(__package__).joinpath("json", f"{name}.schema.json").read_bytes()
    return orjson.loads(text)


@functools.cache
def validator(name: str):
    """A compiled jsonschema validator (cached: compiling is the slow part)."""
    import jsonschema
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (s["$id"].rsplit("/", 1)[-1], Resource.from_contents(s))
        for s in (load_schema(p.name.removesuffix(".schema.json")) for p in SCHEMA_DIR.glob("*.json"))
    )
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
