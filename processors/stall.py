"""Telling a stage that reads nothing because it is caught up from one that reads nothing
although its partitions hold unread records.

A loop that keeps coming round (so ``/readyz``'s stuck check is happy) can still stall: a
consumer whose partitions are assigned but whose fetchers never start (a committed-offset
fetch that keeps coming back unstable, a fetch session the broker lost) polls empty forever
while the lag grows. Nothing in the client reports that. The watch asks the broker for the
lag only after the loop has read nothing for ``after_s`` (so a busy or quiet-and-caught-up
stage costs nothing), says "stalled" once, and "rejoin" when it lasts ``rejoin_after_s``: the
loop then rebuilds its clients, which restarts the offset fetch and the fetchers. A broker
that does not answer that request (or, with nothing assigned, a metadata request) is reported
the same way: an empty poll raises nothing while the broker is away.

``StallWatch`` is pure (an injected clock, the lag passed in), so its decisions are
unit-tested without Kafka; ``check_stall`` is the few lines every loop (parse, stories, sink)
shares around it. The sink has no ``WorkerHealth``: it passes a ``StallNote`` that its
``/readyz`` reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from processors.health import WorkerHealth
from wirecore.kafka_admin import unread_records

log = logging.getLogger("wirestream.processors")

STALLED = "stalled"
REJOIN = "rejoin"
RECOVERED = "recovered"
ANSWER_TIMEOUT_S = 2.0  # a metadata request of a stage that has nothing assigned


@dataclass
class StallWatch:
    after_s: float = 10.0  # read nothing this long before asking the broker for the lag
    rejoin_after_s: float = 15.0  # stalled this long: rebuild the clients
    check_every_s: float = 5.0  # at most one lag request per this many seconds
    now: Callable[[], float] = time.monotonic
    last_progress: float = field(default=0.0)
    last_check: float = field(default=float("-inf"))
    stalled_since: float | None = None
    reported: bool = False  # a stall was reported and has not ended yet (rejoins included)

    def __post_init__(self) -> None:
        self.last_progress = self.now()

    def progressed(self) -> bool:
        """Records were read. True when that ends a reported stall."""
        was = self.reported
        self.last_progress, self.stalled_since, self.reported = self.now(), None, False
        return was

    def assigned(self) -> None:
        """Partitions were (re)assigned and restored: the quiet time counts from now (a restore
        after an outage is not a stall), a reported stall stays reported until records flow."""
        self.last_progress, self.stalled_since = self.now(), None

    def due(self) -> bool:
        """Whether the loop should ask the broker for its lag now."""
        t = self.now()
        return t - self.last_progress >= self.after_s and t - self.last_check >= self.check_every_s

    def unanswered(self) -> bool:
        """The broker did not answer the check. True when that starts a report; the report
        ends as a stall's does (records read, or a later check that finds nothing waiting)."""
        self.last_check = self.now()
        first, self.reported = not self.reported, True
        return first

    def observe(self, unread: dict[Any, int]) -> str | None:
        """``unread``: partition -> records the broker holds beyond the loop's position.
        Returns STALLED when a stall starts, REJOIN when it has lasted ``rejoin_after_s``
        (the watch then starts over), RECOVERED when a reported stall turns out caught up,
        else None."""
        t = self.now()
        self.last_check = t
        if not any(n > 0 for n in unread.values()):
            was = self.reported
            self.stalled_since, self.reported = None, False
            self.last_progress = t  # caught up: idle, not stalled
            return RECOVERED if was else None
        if self.stalled_since is None:
            self.stalled_since = t
            if not self.reported:
                self.reported = True
                return STALLED
            return None
        if t - self.stalled_since >= self.rejoin_after_s:
            self.stalled_since, self.last_progress = None, t
            return REJOIN
        return None


@dataclass
class StallNote:
    """The current stall of a stage that has no ``WorkerHealth`` (the sink): its reason, or
    None. Same two calls as ``WorkerHealth``, so ``check_stall`` serves both."""

    reason: str | None = None

    def paused(self, stage: str, kind: str, reason: str, retry_s: float) -> None:  # noqa: ARG002
        self.reason = f"{stage} {kind}: {reason}"

    def resumed(self, stage: str) -> None:  # noqa: ARG002
        self.reason = None


def note_progress(stage: str, watch: StallWatch, health: WorkerHealth | StallNote) -> None:
    """Called by a loop that read records: ends a reported stall (``/readyz`` ready again)."""
    if watch.progressed():
        health.resumed(stage)
        log.info("%s: reading again", stage)


def check_stall(stage: str, watch: StallWatch, consumer, health: WorkerHealth | StallNote,
                rebuild: Callable[[], None]) -> None:
    """Called by a loop whose poll came back empty: when due, ask the broker for the lag and
    act on the watch's verdict (report on /readyz, clear it, or ``rebuild`` the clients)."""
    if not watch.due():
        return
    try:
        if consumer.assignment():
            unread, detail = unread_records(consumer)
        else:  # nothing assigned: a spare member of the group, or a broker that never answered
            consumer.list_topics(timeout=ANSWER_TIMEOUT_S)
            unread, detail = {}, []
    except KafkaException as exc:
        # an empty poll does not raise while the broker is away, so no error path of the loop
        # would say it: without this a stage reads nothing, says ready, for the whole outage
        if watch.unanswered():
            why = exc.args[0].str() if exc.args and isinstance(exc.args[0], KafkaError) else str(exc)
            health.paused(stage, "kafka", f"the broker does not answer: {why}", watch.check_every_s)
        return
    verdict = watch.observe(unread)
    if verdict == STALLED:
        health.paused(stage, "stalled", f"{sum(unread.values())} records unread and nothing read for "
                      f"{watch.after_s:.0f}s ({', '.join(detail)})", watch.rejoin_after_s)
    elif verdict == RECOVERED:
        health.resumed(stage)
    elif verdict == REJOIN:
        log.error("%s: still reading nothing with records waiting (%s): rebuilding the Kafka clients",
                  stage, ", ".join(detail))
        rebuild()
