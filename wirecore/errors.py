"""One error hierarchy for every layer, so callers decide by *kind*, never by class lists.

- ``TransientError``: the world is briefly wrong (broker or ClickHouse unreachable, disk full,
  a lock held). Retry with the shared ``RetryPolicy``; never dead-letter, never skip.
- ``PoisonError``: this one item can never succeed. Dead-letter it with its bytes, go on.
  (``schemas.models.InvalidItem`` is the contracts-level poison the pure parser raises.)
- ``FatalError``: the deployment is wrong (schema missing, permissions). Stop, say how to fix.
- ``UsageError``: the person's input or flags are wrong. One line, nothing started.

The CLI catches ``WirestreamError`` once at the top and maps each kind to its exit code.
"""

from __future__ import annotations


class WirestreamError(Exception):
    """Base of every error wirestream raises on purpose; ``exit_code`` is the CLI's answer."""

    exit_code = 1


class TransientError(WirestreamError):
    """Retry later: nothing about the item is wrong."""


class PoisonError(WirestreamError):
    """This item (or batch member) can never be stored or processed: dead-letter it."""


class FatalError(WirestreamError):
    """The deployment must be fixed by a person before this stage can go on."""


class UsageError(WirestreamError):
    """Bad input or flags from the person running the command; nothing was started or written."""

    exit_code = 2


class NotRunningError(WirestreamError):
    """A service the command talks to is not running (``status``, ``kafka status``)."""

    exit_code = 3


class ClickHouseUnavailable(TransientError):
    """The ClickHouse target could not be reached or locked."""


class KafkaUnavailable(TransientError):
    """The Kafka cluster could not be reached in time."""


class SchemaError(FatalError):
    """The database's schema is not safe to write to (missing table, dedup window unset)."""
