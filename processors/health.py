"""What the worker tells ``/healthz`` and ``/readyz``: is each stage running, or paused on
an infrastructure error it is retrying (broker unavailable, disk full)? Thread-safe, since
the parse loop and the stories loop threads both report here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from processors import metrics

log = logging.getLogger("wirestream.processors")


@dataclass
class StageHealth:
    paused_since: float | None = None
    reason: str | None = None
    retries: int = 0
    started: bool = False


@dataclass
class WorkerHealth:
    stages: dict[str, StageHealth] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def started(self, stage: str) -> None:
        with self.lock:
            self.stages.setdefault(stage, StageHealth()).started = True
        metrics.STAGE_PAUSED.labels(stage).set(0)

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

    def report(self) -> dict:
        """``{"ready": bool, "stages": {...}}`` for /readyz (ready = started, none paused)."""
        with self.lock:
            stages = {
                name: {"started": h.started, "paused": h.paused_since is not None,
                       "reason": h.reason, "paused_for_s": round(time.time() - h.paused_since, 1)
                       if h.paused_since else 0.0}
                for name, h in self.stages.items()
            }
        ready = bool(stages) and all(v["started"] and not v["paused"] for v in stages.values())
        return {"ready": ready, "stages": stages}
