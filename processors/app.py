"""The worker process (``wirestream worker`` / ``python -m processors.app``): wires the parse
loop (wire.raw -> wire.items), the transactional stories loop (wire.items -> wire.stories)
and the health/metrics server together. Each loop runs in its own thread with its own Kafka
clients; a bug in either ends the process loudly (exit 70) so a supervisor restarts it.

Why no faust: the stories stage needs state, offsets and events in one transaction (a plain
loop does it per poll); the parse agent was measured at ~30 % of the worker's CPU for ~3 %
of real work. Numbers in docs/notes/stage.md.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from processors.health import WorkerHealth
from processors.parse_loop import ParseLoop
from processors.story_loop import StoryLoop
from processors.web import serve
from processors.worker_id import worker_identity
from wirecore.logs import configure_logging
from wirecore.settings import Settings, load_settings

log = logging.getLogger("wirestream.processors")


def start_loops(settings: Settings, worker_id: str, health: WorkerHealth,
                stop: threading.Event) -> list[threading.Thread]:
    """Start the parse and stories loops, each in a thread that ends the worker on a bug."""
    log.info("worker %s: parse + stories, %d story shards by %s", worker_id, settings.items_partitions,
             settings.story_shard)
    threads = []
    for name, loop in (("parse", ParseLoop(settings, worker_id, health, stop)),
                       ("stories", StoryLoop(settings, worker_id, health, stop))):

        def run(loop=loop, name=name) -> None:
            try:
                loop.run()
            except BaseException:
                log.exception("%s loop crashed: ending the worker", name)
                logging.shutdown()
                os._exit(70)

        t = threading.Thread(target=run, name=f"{name}-loop", daemon=True)
        t.start()
        threads.append(t)
    return threads


def main(settings: Settings | None = None) -> None:
    """Entry point of the worker process (``python -m processors.app``, or ``wirestream worker``
    with the settings its flags produced); SIGTERM/SIGINT stop it cleanly."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    health = WorkerHealth()
    stop = threading.Event()
    try:
        worker_id = worker_identity(settings.worker_id, settings.data_dir)
    except OSError as exc:
        sys.exit(f"error: data directory {settings.data_dir} is not usable: {exc.strerror or exc}")
    try:
        server = serve(settings.http_host, settings.metrics_port + 1, health)
    except OSError as exc:
        sys.exit(f"error: cannot listen on {settings.http_host}:{settings.metrics_port + 1}: {exc.strerror}")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threads = start_loops(settings, worker_id, health, stop)
    while not stop.is_set() and all(t.is_alive() for t in threads):
        stop.wait(0.5)
    stop.set()
    for t in threads:
        t.join(20)
    server.shutdown()
    log.info("worker stopped")


if __name__ == "__main__":
    main()
