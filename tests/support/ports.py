"""Free local ports for processes a test starts.

Ports are chosen *below* the kernel's ephemeral range. A port found by binding to 0 comes from
that range, and once the finder releases it, any outgoing connection (every Kafka client opens
several) may be given it as its local port before the process meant to listen there starts:
seen in CI as a worker exiting with "cannot listen on 127.0.0.1:38416: Address already in use".
Outside the range only another listener can take a port, and tests pick at random among ~20,000.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_LOW = 10_000  # clear of well-known services


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_ports(n: int) -> int:
    """A port p with p .. p + n - 1 all free, below the ephemeral range when there is room."""
    top = _ephemeral_start() - n
    pick = random.SystemRandom()
    for _ in range(200):
        port = pick.randrange(_LOW, top) if top > _LOW + 1000 else 0
        socks = [socket.socket() for _ in range(n)]
        try:
            socks[0].bind(("127.0.0.1", port))
            port = socks[0].getsockname()[1]
            for k, s in enumerate(socks[1:], start=1):
                s.bind(("127.0.0.1", port + k))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return port
    raise RuntimeError(f"no {n} adjacent free ports")


def free_port() -> int:
    return free_ports(1)


def free_port_pair() -> int:
    """A port p with p + 1 and p + 2 free too: a sink listens on p, a worker on p + 1 and
    ``up``'s parse-only worker on p + 2."""
    return free_ports(3)
