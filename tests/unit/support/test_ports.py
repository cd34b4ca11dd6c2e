"""Test ports come from below the ephemeral range, so no outgoing connection can take them
between the choice and the listener's bind."""

from __future__ import annotations

import socket

from tests.support.ports import _ephemeral_start, free_port_pair


def test_free_port_pair_is_below_the_ephemeral_range_and_free():
    port = free_port_pair()
    assert port >= 10_000 and port + 2 < _ephemeral_start()
    socks = [socket.socket() for _ in range(3)]
    try:
        for k, s in enumerate(socks):
            s.bind(("127.0.0.1", port + k))  # all three can be listened on
    finally:
        for s in socks:
            s.close()
