"""The shared core every stage builds on: settings, topology, errors, retry policy, the Kafka
and ClickHouse client factories, and the text/date helpers both producers and processors use.

Layering (enforced by the import contract in pyproject.toml): people-facing ``wirestream`` →
stages ``producers`` / ``processors`` → ``wirecore`` → contracts ``schemas``. Nothing here
imports a stage or the CLI.
"""
