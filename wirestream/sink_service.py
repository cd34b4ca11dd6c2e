"""The sink process: owns the ClickHouse client (and so chdb's data directory), applies the
schema, serves the read API + metrics, and runs the consumer loop until SIGTERM/SIGINT.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

from processors.sink.consumer import SinkConsumer
from wirecore.clickhouse import (
    DRIVER_ERRORS,
    ClickHouseUnavailable,
    ClickHouseWriter,
    open_client,
    raise_classified,
    redact,
    run_migrations,
)
from wirecore.logs import configure_logging
from wirecore.retry import Backoff, Clock, RetryPolicy, SystemClock
from wirecore.settings import Settings, load_settings
from wirecore.topology import READS
from wirestream.listeners import start_health, start_sql_api

log = logging.getLogger("wirestream.sink")


CONNECT_RETRY = RetryPolicy(initial=0.5, cap=15.0)


def connect_with_retry(settings: Settings, stop: threading.Event, clock: Clock | None = None,
                       policy: RetryPolicy = CONNECT_RETRY,
                       on_wait: Callable[[ClickHouseUnavailable], object] = lambda exc: None):
    """Open the target and apply migrations, waiting (the shared policy) while it is unavailable;
    ``on_wait`` hears each failure (the sink's /readyz shows the last one)."""
    clock = clock or SystemClock(stop)
    backoff = Backoff(policy)
    while True:
        try:
            client = open_client(settings.dsn)
            try:
                applied = run_migrations(client, settings.clickhouse_database, settings.clickhouse_ttl_days)
            except DRIVER_ERRORS as exc:  # by its code: retried, or one line that stops the sink
                raise_classified(exc, "applying the schema")
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
            return client
        except ClickHouseUnavailable as exc:
            if stop.is_set():
                raise
            on_wait(exc)
            delay = backoff.failed()
            log.warning("%s; retrying in %.1fs", exc, delay)
            clock.sleep(delay)


def export_lag(settings: Settings, stop: threading.Event, every_s: float = 5.0) -> None:
    """Keep wirestream_consumer_lag current for the worker's and the sink's groups."""
    from processors import metrics
    from wirecore.kafka_admin import LagReader

    topo = settings.topology
    groups = {topo.group(g): topo.reads(g) for g in READS}
    with LagReader(settings, timeout_s=5) as reader:  # this thread's clients, kept open
        while not stop.wait(every_s):
            for group, topics in groups.items():
                try:
                    for p in reader.lag(group, topics):
                        metrics.CONSUMER_LAG.labels(group, p.topic, str(p.partition)).set(p.lag)
                except Exception as exc:  # noqa: BLE001 - metrics must never stop the sink
                    log.debug("lag export failed: %s", exc)


PING_WAIT_S = 3.0  # /readyz answers within this (plus a lag reading): probes time out at 5-10 s


def run_sink(settings: Settings, until_idle_s: float | None = None) -> int:
    stop = threading.Event()
    client_holder: dict = {}
    lock = threading.Lock()
    waiting = ["clickhouse: connecting"]  # /readyz's reason until the target answers
    consumer: SinkConsumer | None = None

    def handle(signum, frame):  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)

    class LockedClient:
        """chdb runs in this process; reads from the API thread and inserts share one lock."""

        def raw_insert(self, *a, **kw):
            with lock:
                return client_holder["client"].raw_insert(*a, **kw)

        def query(self, *a, **kw):
            with lock:
                return client_holder["client"].query(*a, **kw)

    def reopen_writer() -> ClickHouseWriter:
        return ClickHouseWriter(LockedClient(), settings.clickhouse_database)

    from wirecore.kafka_admin import LagReader

    probe_lags = LagReader(settings, timeout_s=5)  # /readyz's client, kept between probes
    probe_lock = threading.Lock()  # probes may come on several listener threads at once

    def unread() -> int:
        with probe_lock:
            return sum(p.lag for p in probe_lags.lag(settings.group("sink"),
                                                     [settings.topic("stories"), settings.topic("dlq")]))

    def ping() -> None:
        """``SELECT 1`` on the sink's own client, waiting at most ``PING_WAIT_S`` for the lock
        the sink's inserts hold: a probe that waited for a stuck insert would time out
        and say nothing; this one says why."""
        if not lock.acquire(timeout=PING_WAIT_S):
            raise TimeoutError(f"busy: the sink's writes have held the database for over "
                               f"{PING_WAIT_S:g} s")
        try:
            client_holder["client"].query("SELECT 1")
        finally:
            lock.release()

    def ready() -> tuple[bool, list[str]]:
        if consumer is None:
            return False, list(waiting)
        return sink_readiness(consumer, ping, unread, settings.ready_max_lag)

    log.info("sink starting: ClickHouse %s, Kafka %s", redact(settings.dsn), settings.bootstrap)
    listeners: list = []
    try:
        listeners.append(start_health(settings, ready))
        try:
            client_holder["client"] = connect_with_retry(
                settings, stop, on_wait=lambda exc: waiting.__setitem__(0, f"clickhouse: {exc}"))
        except ClickHouseUnavailable:
            if not stop.is_set():
                raise
            log.info("sink stopped before ClickHouse answered")  # asked to stop: not a failure (exit 0)
            return 0
        api = start_sql_api(settings)
        if api is not None:
            listeners.insert(0, api)
        consumer = SinkConsumer(settings, reopen_writer, stop=stop)
    except OSError as exc:
        log.error("cannot listen: %s (set WIRESTREAM_METRICS_PORT / WIRESTREAM_API_PORT to free ports)", exc)
        return 2
    finally:
        if consumer is None:  # stopped or failed before running: nothing else will stop them
            for listener in listeners:
                listener.stop()
            with probe_lock:
                probe_lags.close()
    threading.Thread(target=export_lag, args=(settings, stop), daemon=True, name="lag").start()
    t0 = time.monotonic()
    try:
        consumer.run(until_idle_s=until_idle_s)
    finally:
        for listener in listeners:
            listener.stop()
        with probe_lock:
            probe_lags.close()
        log.info("sink stopped after %.1fs, %d rows written", time.monotonic() - t0, consumer.rows_written)
    return 0


def sink_readiness(consumer: SinkConsumer, ping: Callable[[], object], unread: Callable[[], int],
                   max_lag: int) -> tuple[bool, list[str]]:
    """``/readyz`` of the sink: (ready, reasons). Not ready while a batch is stuck on ClickHouse
    (with what to do), while reading has stalled, when ClickHouse or Kafka do not answer, or
    when more than ``max_lag`` records wait."""
    reasons = []
    stuck = consumer.retrier.stuck
    if stuck is not None:
        reasons.append(f"sink {stuck.line()}; what to do: {stuck.hint}")
    if consumer.stalled.reason is not None:
        reasons.append(consumer.stalled.reason)
    try:
        ping()
    except Exception as exc:  # noqa: BLE001 - any failure to answer is the reason shown
        reasons.append(f"clickhouse: {str(exc).splitlines()[0]}")
    try:
        lag = unread()
        if lag > max_lag:
            reasons.append(f"sink lag {lag} > {max_lag}")
    except Exception as exc:  # noqa: BLE001
        reasons.append(f"kafka: {str(exc).splitlines()[0]}")
    return not reasons, reasons or ["ok"]


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    raise SystemExit(run_sink(settings))


if __name__ == "__main__":
    main()
