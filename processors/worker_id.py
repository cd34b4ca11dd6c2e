"""A stable identity for a worker process: its Kafka ``transactional.id`` and
``group.instance.id``.

Stable across restarts is what makes recovery fast and safe: the replacement of a killed
worker fences the dead one's producer and aborts its open transaction at once
(``init_transactions``), and takes back its partitions without waiting for the group session
to expire (static membership). Unique among running workers is what keeps two of them from
fencing each other. ``WIRESTREAM_WORKER_ID`` sets it (a StatefulSet pod name is ideal);
unset, it is the host, a hash of the data directory, and the lowest slot no live worker on
this host holds (an ``flock`` the kernel releases when the holder dies, even on SIGKILL).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from pathlib import Path
from typing import IO

_held: list[IO] = []  # slot locks live as long as the process


def worker_identity(configured: str | None, data_dir: Path, role: str = "", max_slots: int = 64) -> str:
    """``role``: "" for a worker running the stories stage; "parse" for a parse-only worker,
    whose slots are its own (so a parse-only and a stories-only worker on one data directory,
    as ``up`` runs them, each keep their id across restarts)."""
    if configured:
        return configured
    root = data_dir.resolve()
    slots = root / "worker-slots"
    slots.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha1(str(root).encode()).hexdigest()[:6] + (f"-{role}" if role else "")
    prefix = f"{role}-" if role else ""
    for slot in range(max_slots):
        fh = open(slots / f"{prefix}slot-{slot}.lock", "a")  # noqa: SIM115 - held for the process lifetime
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            continue
        _held.append(fh)
        return f"{socket.gethostname()}-{tag}-{slot}"
    return f"{socket.gethostname()}-{tag}-pid{os.getpid()}"
