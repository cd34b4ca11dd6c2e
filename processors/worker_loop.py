"""The harness both worker loops share: poll a batch, and on an infrastructure error pause,
drop the clients and retry with the shared policy — never dead-letter, never skip.

Subclasses say what a batch is (``_run_batch``), how their clients open and close
(``_open``/``_close``) and what to do before stopping (``_finish``). Item defects are the
subclass's business (a dead letter inside its batch); anything else is a bug and ends the loop.
"""

from __future__ import annotations

import threading

from confluent_kafka import KafkaException

from processors.health import WorkerHealth
from wirecore.retry import Backoff, Clock, RetryPolicy, SystemClock
from wirecore.settings import Settings

QUIET = {"log_level": 3}  # librdkafka: errors only; pauses are reported by WorkerHealth
WORKER_RETRY = RetryPolicy(initial=0.5, cap=10.0)


class WorkerLoop:
    STAGE = ""

    def __init__(self, settings: Settings, worker_id: str, health: WorkerHealth, stop: threading.Event,
                 *, max_items: int = 1000, poll_s: float = 0.05, clock: Clock | None = None,
                 policy: RetryPolicy | None = None) -> None:
        self.s = settings
        self.worker_id = worker_id
        self.health = health
        self.stop = stop
        self.max_items = max_items
        self.poll_s = poll_s
        self.clock = clock or SystemClock(stop)
        self.backoff = Backoff(policy or WORKER_RETRY)
        self.consumer = None
        self.producer = None

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                if self.consumer is None:
                    self._open()
                self._run_batch()
            except KafkaException as exc:  # the broker, never the item
                self._pause("kafka", exc.args[0].str() if exc.args else str(exc))
            except OSError as exc:  # the disk or the network, never the item
                self._pause("os", str(exc))
        self._finish()
        self._close()

    def _pause(self, kind: str, reason: str) -> None:
        delay = self.backoff.failed()
        self.health.paused(self.STAGE, kind, reason, delay)
        self._close()  # uncommitted work is read again (and decided again) after reconnecting
        self.clock.sleep(delay)

    def _succeeded(self) -> None:
        """After a batch went through: end a pause, if there was one."""
        if self.backoff.attempt:
            self.backoff.reset()
            self.health.resumed(self.STAGE)

    # -- what subclasses provide -----------------------------------------------------------
    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _run_batch(self) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Before the clients close on a clean stop (e.g. flush what is in flight)."""
