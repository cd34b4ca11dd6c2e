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


def start_health(settings: Settings, ready: Callable[[], tuple[bool, list[str]]]) -> HealthServer:
    """Health and metrics, started before ClickHouse is waited for: a sink waiting for its
    target is alive (a liveness probe must not restart it) and says on /readyz why it waits."""
    health = HealthServer(ready, settings.http_host, settings.metrics_port)
    health.start()
    log.info("/metrics, /healthz, /readyz on %s:%s", settings.http_host, health.httpd.server_address[1])
    return health


def start_sql_api(settings: Settings) -> SqlApiServer | None:
    """The SQL read API, once the embedded database is open (its owner record tells readers
    where; ``up`` waits for it). A server deployment gets none: ClickHouse has its own HTTP
    interface, users and grants."""
    if not settings.embedded:
        return None
    session = ReadSession(settings.dsn, settings.clickhouse_database, read_limits(settings))
    api = SqlApiServer(session.query, settings.data_dir, settings.api_port)
    api.start()
    log.info("SQL read API on %s (token in %s)", api.url, settings.data_dir / "chdb.owner.token")
    return api
