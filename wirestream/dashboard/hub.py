"""One poller per dashboard process: every ``interval_s`` it reads a change fingerprint
from ClickHouse and wakes every open ``/events`` stream when it (or the error state) changes.

``poll`` is a blocking callable ``(previous_fingerprint) -> (fingerprint, changed_story_ids)``
run in a worker thread; it raises ``ReadFailure`` subclasses when ClickHouse is not there
(yet), which become the hub's ``error`` until a poll succeeds again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import anyio.to_thread
import orjson

Poll = Callable[[str | None], tuple[str, list[str]]]


class ChangeHub:
    def __init__(self, poll: Poll, interval_s: float = 1.0, transient: tuple[type[BaseException], ...] = ()):
        self._poll = poll
        self._transient = transient
        self.interval_s = interval_s
        self.version = 0
        self.fingerprint: str | None = None
        self.changed: list[str] = []
        self.error: str | None = None
        self.kind = "hello"
        self.checked_at: float | None = None
        self._cond = asyncio.Condition()

    def snapshot(self) -> dict:
        return {"version": self.version, "fingerprint": self.fingerprint, "changed": self.changed,
                "error": self.error, "checked_at": self.checked_at}

    async def poll_once(self) -> None:
        try:
            fp, changed = await anyio.to_thread.run_sync(self._poll, self.fingerprint)
            error = None
        except self._transient as exc:
            fp, changed, error = self.fingerprint, [], str(exc).strip().splitlines()[0] or type(exc).__name__
        self.checked_at = time.time()
        if fp == self.fingerprint and error == self.error:
            return
        async with self._cond:
            self.kind = "change" if fp != self.fingerprint else "status"
            first = self.fingerprint is None and self.version == 0 and error is None
            self.fingerprint, self.changed, self.error = fp, changed, error
            self.version += 1
            if first:  # the initial reading is the baseline, not news
                self.kind = "status"
            self._cond.notify_all()

    async def run(self) -> None:
        while True:
            await self.poll_once()
            await asyncio.sleep(self.interval_s)

    async def wait_newer(self, version: int, timeout_s: float) -> bool:
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(lambda: self.version > version), timeout_s)
            except TimeoutError:
                return False
        return True


def sse(event: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {orjson.dumps(data).decode()}\n\n"


async def event_stream(hub: ChangeHub, limit: int | None = None, keepalive_s: float = 15.0,
                       last_event_id: int | None = None) -> AsyncIterator[str]:
    """``hello`` with the current state, then one ``change``/``status`` event per hub version.

    A reconnecting browser sends ``Last-Event-ID``: anything newer is sent at once.
    ``limit`` ends the stream after that many events (besides ``hello``): for tests and scripts.
    """
    yield "retry: 2000\n\n"
    seen = hub.version if last_event_id is None else min(last_event_id, hub.version)
    yield sse("hello", hub.snapshot(), seen)
    sent = 0
    while limit is None or sent < limit:
        if not await hub.wait_newer(seen, keepalive_s):
            yield ": keepalive\n\n"
            continue
        seen = hub.version
        yield sse(hub.kind, hub.snapshot(), seen)
        sent += 1
