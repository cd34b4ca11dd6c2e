"""Free local ports for processes a test starts."""

from __future__ import annotations

import socket


def free_port_pair() -> int:
    """A port p with p + 1 and p + 2 free too: a sink listens on p, a worker on p + 1 and
    ``up``'s parse-only worker on p + 2."""
    for _ in range(50):
        with socket.socket() as a, socket.socket() as b, socket.socket() as c:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                b.bind(("127.0.0.1", port + 1))
                c.bind(("127.0.0.1", port + 2))
            except OSError:
                continue
            return port
    raise RuntimeError("no three adjacent free ports")
