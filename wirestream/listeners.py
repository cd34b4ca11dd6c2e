"""The sink's listeners, composed from settings: health/metrics on the configured bind, and
(embedded only) the SQL read API on loopback. See wirestream/owner_api.py for why two."""

from __future__ import annotations

import logging
from collections.abc import Callable

from wirecore.settings import Settings
from wirestream.owner_api import HealthServer, SqlApiServer
from wirestream.read_session import ReadSession
from wirestream.sql_guard import ReadLimits

log = logging.getLogger("wirestream.sink")


def read_limits(settings: Settings) -> ReadLimits:
    return ReadLimits.from_settings(settings)


def start_listeners(settings: Settings, ready: Callable[[], tuple[bool, list[str]]]) -> list:
    """Start and return the listeners (``stop()`` each). A server deployment gets no SQL API:
    ClickHouse has its own HTTP interface, users and grants."""
    health = HealthServer(ready, settings.http_host, settings.metrics_port)
    started: list = [health]
    health.start()
    log.info("/metrics, /healthz, /readyz on %s:%s", settings.http_host, health.httpd.server_address[1])
    if settings.embedded:
        session = ReadSession(settings.dsn, settings.clickhouse_database, read_limits(settings))
        api = SqlApiServer(session.query, settings.data_dir, settings.api_port)
        api.start()
        started.insert(0, api)
        log.info("SQL read API on %s (token in %s)", api.url, settings.data_dir / "chdb.owner.token")
    return started
