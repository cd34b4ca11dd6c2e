"""Run the dashboard with uvicorn against the configured ClickHouse (see ``readers``)."""

from __future__ import annotations

import uvicorn

from wirecore.settings import Settings
from wirestream.dashboard.app import create_app
from wirestream.dashboard.readers import TRANSIENT, ReaderSource


def build_app(settings: Settings, poll_s: float = 1.0):
    return create_app(ReaderSource(settings).get, settings.clickhouse_database, poll_s=poll_s, transient=TRANSIENT)


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None, poll_s: float = 1.0) -> None:
    uvicorn.run(build_app(settings, poll_s), host=host, port=port or settings.dashboard_port,
                log_level="warning", timeout_graceful_shutdown=2)
