"""Retry a sink action with the shared ``RetryPolicy``, paused, and say when it is stuck.

Every wait in the sink goes through here: inserts, the ``sink_offsets`` read, dead-letter
flushes and offset commits. While failing, consumption is paused (polling continues only to
keep group membership; the loop's ``idle`` buffers whatever a rebalance delivers). The same
cause (same ClickHouse code) failing past ``give_up_after`` attempts marks the sink *stuck*:
``stuck`` is what /readyz and ``wirestream status`` show, ``wirestream_sink_stuck`` is set,
the log says what to do. It keeps retrying, so a fixed cause resumes by itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from processors import metrics
from wirecore.clickhouse_codes import Code, label
from wirecore.errors import FatalError, TransientError
from wirecore.retry import Backoff, Clock, RetryPolicy

log = logging.getLogger("wirestream.sink")
T = TypeVar("T")
STOP_GRACE_S = 5.0  # stopping while failing: a few quick last tries, then give up uncommitted


class SinkStopped(FatalError):
    """Asked to stop while an action kept failing; nothing of the batch was committed."""


@dataclass(frozen=True)
class Stuck:
    what: str  # e.g. "insert wire.stories:0:0-4999"
    code: str  # "252 TOO_MANY_PARTS", "no code"
    attempts: int
    error: str
    hint: str

    def line(self) -> str:
        return f"stuck: {self.what} failing with {self.code} after {self.attempts} attempts: {self.error}"


def hint_for(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    if getattr(exc, "disk", False) or code == Code.NOT_ENOUGH_SPACE:
        return "free disk space where ClickHouse stores its data; the sink resumes by itself"
    if code == Code.TOO_MANY_PARTS:
        return "too many parts/partitions: let merges catch up or raise max_partitions_per_insert_block"
    if code is None:
        return "check that ClickHouse (or the broker) is reachable; the sink resumes by itself"
    return "fix the cause in the error above; the sink keeps retrying and loses nothing"


class Retrier:
    def __init__(self, policy: RetryPolicy, clock: Clock, stop: threading.Event, *,
                 pause: Callable[[], None], resume: Callable[[], None], idle: Callable[[float], None]) -> None:
        self.policy, self.clock, self.stop = policy, clock, stop
        self._pause, self._resume, self._idle = pause, resume, idle
        self.stuck: Stuck | None = None

    def run(self, action: Callable[[], T], what: str) -> T:
        backoff, cause, paused, stopping_since = Backoff(self.policy), object(), False, None
        while True:
            try:
                result = action()
            except TransientError as exc:
                code = getattr(exc, "code", None)
                if code != cause:  # a new cause starts its own count
                    backoff.reset()
                    cause = code
                delay = backoff.failed()
                metrics.INSERT_RETRIES.inc()
                if not paused:
                    paused = True
                    metrics.SINK_PAUSED.set(1)
                    self._pause()
                if backoff.stuck:
                    self._mark_stuck(what, exc, backoff.attempt)
                log.warning("%s failed (%s: %s); retry %d in %.1fs", what, label(code), exc, backoff.attempt, delay)
                if self.stop.is_set():
                    stopping_since = stopping_since if stopping_since is not None else self.clock.monotonic()
                    if self.clock.monotonic() - stopping_since > STOP_GRACE_S:
                        raise SinkStopped(f"stopped while {what} kept failing; not committed") from None
                    delay = min(delay, 0.5)
                self._idle(delay)
                continue
            if paused:
                metrics.SINK_PAUSED.set(0)
                self._resume()
                log.info("%s succeeded after %d retries; resumed consumption", what, backoff.attempt)
            if self.stuck is not None:
                log.warning("no longer stuck: %s went through", what)
                self.stuck = None
                metrics.SINK_STUCK.set(0)
            return result

    def _mark_stuck(self, what: str, exc: BaseException, attempts: int) -> None:
        first = self.stuck is None
        self.stuck = Stuck(what, label(getattr(exc, "code", None)), attempts, str(exc)[:300], hint_for(exc))
        metrics.SINK_STUCK.set(1)
        if first:
            log.error("%s. What to do: %s", self.stuck.line(), self.stuck.hint)
