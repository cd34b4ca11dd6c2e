"""Checks a long-running command makes before starting anything, so a wrong setting is one
``error:`` line and an exit code within a second — not a retry loop or a traceback."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from wirecore.errors import UsageError
from wirecore.settings import Settings

DSN_SCHEMES = frozenset({"chdb", "http", "https", "clickhouse", "clickhouses"})


def check_dsn(dsn: str) -> None:
    """A DSN of a known scheme whose host resolves (unreachable is retried, unresolvable is not:
    no outage makes a misspelt host name appear)."""
    from wirecore.clickhouse import redact

    parts = urlsplit(dsn)
    if parts.scheme not in DSN_SCHEMES:
        raise UsageError(f"WIRESTREAM_CLICKHOUSE_DSN {redact(dsn)!r}: scheme must be one of "
                         f"{', '.join(sorted(DSN_SCHEMES))}")
    if parts.scheme == "chdb":
        return
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"WIRESTREAM_CLICKHOUSE_DSN {redact(dsn)!r}: the port is not a number") from None
    if not parts.hostname:
        raise UsageError(f"WIRESTREAM_CLICKHOUSE_DSN {redact(dsn)!r} names no host")
    try:
        socket.getaddrinfo(parts.hostname, port or 8123)
    except OSError as exc:
        raise UsageError(f"ClickHouse host {parts.hostname!r} does not resolve ({exc.strerror or exc}): "
                         "check WIRESTREAM_CLICKHOUSE_DSN") from None


def check_read_target(settings: Settings) -> None:
    """For the one-shot readers (``sql``, ``query``, ``status``): the DSN as ``check_dsn`` sees
    it, and a configured embedded path that exists: opening chdb creates its directory, so a
    misspelt path would become a new, empty database instead of an error."""
    from wirecore.clickhouse import chdb_path

    check_dsn(settings.dsn)
    path = chdb_path(settings.dsn)
    if settings.clickhouse_dsn is not None and path is not None and not path.exists():
        raise UsageError(f"no embedded database at {path} (WIRESTREAM_CLICKHOUSE_DSN): check the path, "
                         "or run `wirestream up` with this DSN first")


def check_process_settings(settings: Settings) -> None:
    """For ``sink``/``worker``: a writable data directory and a well-formed DSN."""
    from wirestream.up import check_data_dir

    check_data_dir(settings)
    check_dsn(settings.dsn)
    settings.secret("kafka_sasl_password")  # an unreadable password file: named now, not at the first login


def check_sole_sink(settings: Settings) -> None:
    """For ``sink``: no other sink owns the embedded database. chdb locks its directory, so a
    second sink would wait for the lock for ever, logging an unrelated chdb error (``Error
    initializing EmbeddedServer``) every few seconds, without a health endpoint to ask."""
    from wirestream.owner_api import read_owner

    owner = read_owner(settings.data_dir) if settings.embedded else None
    if owner:
        raise UsageError(f"a sink (pid {owner['pid']}) already owns the embedded database in "
                         f"{settings.data_dir}: one sink per data directory (see `wirestream status`)")


def check_shard_count(settings: Settings, timeout_s: float = 5.0) -> None:
    """For ``worker``: the story shards of the existing topics are the settings' (see
    ``kafka_admin.check_shard_partitions``). A broker that does not answer is not checked
    here: the worker waits for it and says so on /readyz."""
    from wirecore import kafka_admin
    from wirecore.errors import KafkaUnavailable

    try:
        existing = kafka_admin.partition_counts(settings, timeout_s)
    except KafkaUnavailable:
        return
    kafka_admin.check_shard_partitions(settings, existing)
