"""The worker process (``wirestream worker`` / ``python -m processors.app``): the parse stage
(wire.raw -> wire.items), the transactional stories loop (wire.items -> wire.stories) and
the health/metrics server (processors/web.py, the one listener).

The parse stage is the faust-streaming agent (processors/parse_agent.py, the design card's
stream framework), run by a faust Worker on the main thread; ``WIRESTREAM_PARSE_ENGINE=plain``
selects the plain confluent-kafka loop (processors/parse_loop.py) instead, kept so both can be
measured in one bench run (docs/notes/stage.md). The stories stage stays a plain loop in a
thread: it commits state, offsets and events in one Kafka transaction, which faust's
per-event agent cannot do without its slow exactly-once mode. A bug in a loop ends the
process loudly (exit 70) so a supervisor restarts it.
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
                stop: threading.Event, *, plain_parse: bool = True, stories: bool = True) -> list[threading.Thread]:
    """Start the stories loop and/or the plain parse loop (when it is the parse engine), each
    in a thread that ends the worker on a bug."""
    loops = [("stories", StoryLoop(settings, worker_id, health, stop))] if stories else []
    if plain_parse:
        loops.insert(0, ("parse", ParseLoop(settings, worker_id, health, stop)))
    threads = []
    for name, loop in loops:

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
    threading.Thread(target=watch_stuck, args=(health, stop), name="stage-watchdog", daemon=True).start()
    return threads


def watch_stuck(health: WorkerHealth, stop: threading.Event, every_s: float = 5.0) -> None:
    """Log, loudly and once per episode, a stage whose loop hangs in a call (/readyz says so)."""
    while not stop.wait(every_s):
        health.check_stuck()


def main(settings: Settings | None = None) -> None:
    """Entry point of the worker process (``python -m processors.app``, or ``wirestream worker``
    with the settings its flags produced); SIGTERM/SIGINT stop it cleanly."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    health = WorkerHealth()
    stop = threading.Event()
    stages = settings.worker_stages
    parse, stories = stages in ("all", "parse"), stages in ("all", "stories")
    try:  # a parse-only worker has its own identities: it may run beside a stories-only one
        worker_id = worker_identity(settings.worker_id, settings.data_dir, "parse" if stages == "parse" else "")
    except OSError as exc:
        sys.exit(f"error: data directory {settings.data_dir} is not usable: {exc.strerror or exc}")
    port = worker_port(settings)
    try:
        server = serve(settings.http_host, port, health)
    except OSError as exc:
        sys.exit(f"error: cannot listen on {settings.http_host}:{port}: {exc.strerror}")
    log.info("worker %s: %s on port %d, %d story shards by %s", worker_id,
             " + ".join([f"{settings.parse_engine} parse"] * parse + ["stories"] * stories),
             server.server_address[1], settings.items_partitions, settings.story_shard)
    if parse and settings.parse_engine == "faust":
        run_faust(settings, worker_id, health, stop, stories=stories)
    else:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        threads = start_loops(settings, worker_id, health, stop, plain_parse=parse, stories=stories)
        while not stop.is_set() and all(t.is_alive() for t in threads):
            stop.wait(0.5)
        stop.set()
        for t in threads:
            t.join(20)
    server.shutdown()
    log.info("worker stopped")


def worker_port(settings: Settings) -> int:
    """Where the worker serves /metrics, /healthz and /readyz. Metrics port 0 (any free port)
    means any free port here too, not port 1 (a privileged port: refused, or taken as root)."""
    if settings.worker_port:
        return settings.worker_port
    return settings.metrics_port + 1 if settings.metrics_port else 0


def run_faust(settings: Settings, worker_id: str, health: WorkerHealth, stop: threading.Event, *,
              stories: bool = True) -> None:
    """The faust Worker owns the main thread (its event loop and SIGTERM/SIGINT handling);
    the stories loop runs beside it and is stopped when faust stops."""
    import faust

    from processors.parse_agent import create_app

    try:
        app = create_app(settings, health)
    except OSError as exc:  # faust's datadir under the data dir
        sys.exit(f"error: data directory {settings.data_dir} is not usable: {exc.strerror or exc}")
    threads = start_loops(settings, worker_id, health, stop, plain_parse=False, stories=stories)
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True,
                          redirect_stdouts=False, override_logging=False)
    try:
        worker.execute_from_commandline()  # returns (or exits) when faust has stopped
    finally:
        stop.set()  # leave cleanly: the open transaction is aborted, the consumer closed
        for t in threads:
            t.join(20)


if __name__ == "__main__":
    main()
