"""The one retry policy: capped exponential backoff with jitter and an injectable clock.

Every retry loop in the project (sink inserts, dead-letter writes, the publisher's flush, the
URL poller, ClickHouse connects, tests) asks a ``RetryPolicy`` for its next delay and sleeps
through a ``Clock``, so tests drive time with ``FakeClock`` instead of patching ``sleep``.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time; ``sleep`` wakes early when the optional stop event is set."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if self.stop is not None:
            self.stop.wait(max(0.0, seconds))
        else:
            time.sleep(max(0.0, seconds))


class FakeClock:
    """Time that moves only when slept through: deterministic tests of batching and retries."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class RetryPolicy:
    """``delay(attempt)`` = min(cap, initial * factor**attempt), +/- ``jitter`` (a fraction).

    ``give_up_after`` bounds how many consecutive failures of the *same* cause count as
    transient; past it the caller reports the work as stuck (it keeps retrying, loudly).
    """

    initial: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.1
    give_up_after: int = 8
    rng: random.Random = field(default_factory=lambda: random.Random(0), compare=False, repr=False)

    def delay(self, attempt: int) -> float:
        base = min(self.cap, self.initial * self.factor ** max(0, attempt))
        if self.jitter:
            base *= 1 + self.rng.uniform(-self.jitter, self.jitter)
        return max(0.0, min(self.cap, base))

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.give_up_after


class Backoff:
    """Stateful helper over a policy: ``failed()`` returns the next delay, ``reset()`` on success."""

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()
        self.attempt = 0

    def failed(self) -> float:
        delay = self.policy.delay(self.attempt)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0

    @property
    def stuck(self) -> bool:
        return self.policy.exhausted(self.attempt)
