"""``wirestream dashboard``: serve the live stories page (see wirestream/dashboard)."""

from __future__ import annotations

from typing import Annotated

import typer


def dashboard_command(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default: WIRESTREAM_DASHBOARD_PORT (8000)")] = None,
    poll: Annotated[float, typer.Option(help="seconds between ClickHouse change checks")] = 1.0,
    sink_url: Annotated[str | None, typer.Option(
        help="where the sink serves /metrics and /readyz (default: the local sink), e.g. http://sink:9464")] = None,
) -> None:
    """Live stories in the browser: story river, search, time range, pipeline health; pushed by SSE."""
    import errno
    import socket

    from wirecore.errors import UsageError
    from wirestream.context import settings as current_settings
    from wirestream.dashboard.server import serve

    s = current_settings()
    port = port or s.dashboard_port
    with socket.socket() as probe:  # a busy port is a one-line error, not a uvicorn traceback
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise UsageError(f"cannot listen on {host}:{port}: {why} (try --port)") from None
    typer.echo(f"dashboard: http://{host}:{port}/  (Ctrl-C stops)", err=True)
    serve(s, host, port, poll, sink_url)
