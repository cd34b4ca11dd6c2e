"""Run the dashboard with uvicorn against the configured ClickHouse (see ``readers``)."""

from __future__ import annotations

import uvicorn

from wirecore.settings import Settings
from wirestream.dashboard.app import create_app
from wirestream.dashboard.readers import TRANSIENT, ReaderSource
from wirestream.owner_api import read_owner


def sink_metrics_url(settings: Settings) -> str | None:
    """Where the sink serves /metrics and /readyz: its own listener on WIRESTREAM_HTTP_HOST and the
    metrics port (never the SQL read API, which answers only POST /sql). Embedded: only while a
    sink owns the database."""
    if settings.embedded and read_owner(settings.data_dir) is None:
        return None
    host = settings.http_host if settings.http_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.metrics_port}"


def build_app(settings: Settings, poll_s: float = 1.0, sink_url: str | None = None):
    """``sink_url`` overrides where the health strip reads the sink (another host or container)."""
    return create_app(ReaderSource(settings).get, settings.clickhouse_database, poll_s=poll_s, transient=TRANSIENT,
                      sink_url=(lambda: sink_url) if sink_url else (lambda: sink_metrics_url(settings)))


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None, poll_s: float = 1.0,
          sink_url: str | None = None) -> None:
    uvicorn.run(build_app(settings, poll_s, sink_url), host=host, port=port or settings.dashboard_port,
                log_level="warning", timeout_graceful_shutdown=2)
