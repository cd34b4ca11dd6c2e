"""Run the dashboard with uvicorn against the configured ClickHouse (see ``readers``)."""

from __future__ import annotations

import uvicorn

from wirecore.settings import Settings
from wirestream.dashboard.app import create_app
from wirestream.dashboard.readers import TRANSIENT, ReaderSource
from wirestream.owner_api import read_owner


def sink_metrics_url(settings: Settings) -> str | None:
    """Where the sink serves /metrics and /readyz: its owner record (embedded) or the metrics port."""
    if settings.embedded:
        owner = read_owner(settings.data_dir)
        return owner["url"] if owner else None
    return f"http://127.0.0.1:{settings.metrics_port}"


def build_app(settings: Settings, poll_s: float = 1.0, sink_url: str | None = None):
    """``sink_url`` overrides where the health strip reads the sink (another host or container)."""
    return create_app(ReaderSource(settings).get, settings.clickhouse_database, poll_s=poll_s, transient=TRANSIENT,
                      sink_url=(lambda: sink_url) if sink_url else (lambda: sink_metrics_url(settings)))


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None, poll_s: float = 1.0,
          sink_url: str | None = None) -> None:
    uvicorn.run(build_app(settings, poll_s, sink_url), host=host, port=port or settings.dashboard_port,
                log_level="warning", timeout_graceful_shutdown=2)
