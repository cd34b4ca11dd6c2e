"""Run the dashboard with uvicorn against the configured ClickHouse (see ``readers``)."""

from __future__ import annotations

import ipaddress

import uvicorn
from starlette.middleware.trustedhost import TrustedHostMiddleware

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


LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None, poll_s: float = 1.0,
          sink_url: str | None = None) -> None:
    """On a loopback bind (the default) only requests naming a loopback host are served: a web page
    whose own name resolves to 127.0.0.1 (DNS rebinding) is then same-origin with the dashboard
    and could read every story, dead letter and original through the analyst's browser. On any
    other bind the operator chose who may reach it (a proxy, a container port)."""
    app = build_app(settings, poll_s, sink_url)
    if is_loopback(host):
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK_NAMES, host])
    uvicorn.run(app, host=host, port=port or settings.dashboard_port, log_level="warning",
                timeout_graceful_shutdown=2)
