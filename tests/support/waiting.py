"""One way to wait in tests: poll a predicate until it is truthy, or fail loudly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """``wait_until`` gave up: the message says what was awaited and the last value seen."""


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.2,
               detail: Callable[[], str] | None = None) -> T:
    """Return the predicate's first truthy value; raise ``WaitTimeout`` after ``timeout`` s.

    ``detail()`` (e.g. the tail of a process log) is added to the failure message. An
    exception from the predicate is not swallowed: a broken check must not look like "not yet".
    """
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            extra = f"\n{detail()}" if detail else ""
            raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r}){extra}")
        time.sleep(interval)
