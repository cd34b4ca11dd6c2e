"""Logging for every process: one format switch (plain or JSON lines) and one level.

Processes started by ``wirestream up`` inherit ``WIRESTREAM_LOG_LEVEL`` and
``WIRESTREAM_LOG_FORMAT`` so a whole run logs the same way.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

import orjson

PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"
KAFKA_LOGGER = "wirestream.kafka"
_DIGITS = re.compile(r"\d+")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers (Loki, Elastic, Cloud Logging) parse."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str = "INFO", fmt: str = "plain") -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        formatter: logging.Formatter = JsonFormatter()
        formatter.converter = __import__("time").gmtime
    else:
        formatter = logging.Formatter(PLAIN)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # client libraries log every request at INFO: only their warnings are news for people
    for noisy in ("httpx", "httpcore", "urllib3", "aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def quiet_client_retries() -> None:
    """For one-shot commands (sql, query, status): a failed connection is reported in their
    one ``error:`` line, so the HTTP client's retry and driver warnings before it are noise."""
    for noisy in ("urllib3", "clickhouse_connect"):
        logging.getLogger(noisy).setLevel(max(logging.ERROR, logging.getLogger().level))


class Repeats(logging.Filter):
    """Lets one message of a kind through per ``every_s`` (numbers do not make it another
    kind: times, ports, offsets) and says with the next one shown how many it held back."""

    MAX_KINDS = 1000  # forget them all rather than grow without bound

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every_s, self.clock = every_s, clock
        self._seen: dict[str, list] = {}  # kind -> [when last shown, held back since]
        self._lock = threading.Lock()  # the loops of one worker log from their own threads

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        kind, now = _DIGITS.sub("#", message), self.clock()
        with self._lock:
            seen = self._seen.get(kind)
            if seen is not None and now - seen[0] < self.every_s:
                seen[1] += 1
                return False
            if len(self._seen) >= self.MAX_KINDS:
                self._seen.clear()
            held = seen[1] if seen else 0
            self._seen[kind] = [now, 0]
        if held:
            record.msg, record.args = f"{message} ({held} more like it in the last {self.every_s:.0f}s)", None
        return True


def kafka_logger() -> logging.Logger:
    """What every confluent-kafka client logs through (``logger`` in ``Settings.kafka_conf``).
    librdkafka's own log goes straight to stderr in its own format, past ``--log-json`` and
    the level, and while a broker is away a consumer logs each reconnect attempt: ~20 lines a
    second, for as long as the outage lasts. A client queues its lines until it is polled."""
    logger = logging.getLogger(KAFKA_LOGGER)
    if not any(isinstance(f, Repeats) for f in logger.filters):
        logger.addFilter(Repeats())
    return logger

