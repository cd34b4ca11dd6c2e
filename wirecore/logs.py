"""Logging for every process: one format switch (plain or JSON lines) and one level.

Processes started by ``wirestream up`` inherit ``WIRESTREAM_LOG_LEVEL`` and
``WIRESTREAM_LOG_FORMAT`` so a whole run logs the same way.
"""

from __future__ import annotations

import logging

import orjson

PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"


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
