"""``python -m wirestream.dashboard [--host H] [--port P]`` (what ``up --follow`` can spawn)."""

from __future__ import annotations

import argparse

from wirecore.settings import load_settings
from wirestream.dashboard.server import serve


def main(argv: list[str] | None = None) -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m wirestream.dashboard", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.dashboard_port)
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between ClickHouse checks")
    parser.add_argument("--sink-url", default=None, help="where the sink serves /metrics and /readyz")
    args = parser.parse_args(argv)
    serve(settings, args.host, args.port, args.poll, args.sink_url)


if __name__ == "__main__":
    main()
