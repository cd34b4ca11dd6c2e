"""What the worker tells ``/healthz`` and ``/readyz``: is each stage running, paused on an
infrastructure error it is retrying (broker unavailable, disk full), or stuck (its loop has
not come round for ``stuck_after_s``: a client call that does not return)? Thread-safe, since
the parse loop and the stories loop threads both report here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from processors import metrics

log = logging.getLogger("wirestream.processors")

# Longer than any bounded call a loop makes in one round (a shard restore: 30 s for the
# watermarks + 120 s reading the changelog), so only a call that never returns trips it.
STUCK_AFTER_S = 180.0


@dataclass
class StageHealth:
    paused_since: float | None = None
    reason: str | None = None
    retries: int = 0
    started: bool = False
    last_beat: float | None = None  # monotonic time the stage's loop last came round
    stuck_logged: bool = False


@dataclass
class WorkerHealth:
    stages: dict[str, StageHealth] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stuck_after_s: float = STUCK_AFTER_S

    def started(self, stage: str) -> None:
        with self.lock:
            self.stages.setdefault(stage, StageHealth()).started = True
        metrics.STAGE_PAUSED.labels(stage).set(0)

    def beat(self, stage: str) -> None:
        """The stage's loop came round (called once per poll): it is not hanging in a call."""
        with self.lock:
            h = self.stages.setdefault(stage, StageHealth())
            h.last_beat = time.monotonic()
            was_stuck, h.stuck_logged = h.stuck_logged, False
        if was_stuck:
            log.warning("%s is no longer stuck: its loop came round again", stage)

    def paused(self, stage: str, kind: str, reason: str, retry_in: float) -> None:
        """An infrastructure error: the stage keeps its input and will retry, loudly."""
        with self.lock:
            h = self.stages.setdefault(stage, StageHealth())
            if h.paused_since is None:
                h.paused_since = time.time()
            h.reason, h.retries = f"{kind}: {reason}", h.retries + 1
        metrics.STAGE_PAUSED.labels(stage).set(1)
        metrics.STAGE_RETRIES.labels(stage, kind).inc()
        log.warning("%s paused (%s: %s); retrying in %.1fs", stage, kind, reason, retry_in)

    def resumed(self, stage: str) -> None:
        with self.lock:
            h = self.stages.setdefault(stage, StageHealth())
            was = h.paused_since
            h.paused_since, h.reason, h.retries = None, None, 0
        metrics.STAGE_PAUSED.labels(stage).set(0)
        if was is not None:
            log.info("%s resumed after %.1fs", stage, time.time() - was)

    def _stuck_for(self, h: StageHealth, now: float) -> float:
        """Seconds the stage's loop has been away, when that is longer than allowed (else 0)."""
        if h.last_beat is None:  # a stage without a beating loop (the faust agent)
            return 0.0
        away = now - h.last_beat
        return away if away > self.stuck_after_s else 0.0

    def check_stuck(self) -> list[str]:
        """Log (once per episode, as an error) every stage whose loop is stuck; the stuck stages.
        Called every few seconds by the worker's watchdog thread."""
        now = time.monotonic()
        stuck, to_log = [], []
        with self.lock:
            for name, h in self.stages.items():
                away = self._stuck_for(h, now)
                if away:
                    stuck.append(name)
                    if not h.stuck_logged:
                        h.stuck_logged = True
                        to_log.append((name, away))
        for name, away in to_log:
            log.error("%s stuck: its loop has not come round for %.0fs (a Kafka client call that "
                      "does not return); /readyz reports it until it moves again", name, away)
        return stuck

    def report(self) -> dict:
        """``{"ready": bool, "stages": {...}}`` for /readyz (ready = started, none paused or stuck)."""
        now = time.monotonic()
        with self.lock:
            stages = {
                name: {"started": h.started, "paused": h.paused_since is not None,
                       "reason": h.reason, "paused_for_s": round(time.time() - h.paused_since, 1)
                       if h.paused_since else 0.0,
                       "stuck": bool(self._stuck_for(h, now)),
                       "stuck_for_s": round(self._stuck_for(h, now), 1)}
                for name, h in self.stages.items()
            }
        ready = bool(stages) and all(v["started"] and not v["paused"] and not v["stuck"]
                                     for v in stages.values())
        return {"ready": ready, "stages": stages}
