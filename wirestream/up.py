"""``wirestream up``: the main job on one machine, from sources to a printed story table.

Order: check sources and data dir (so bad input fails before anything starts) -> local
broker (unless bootstrap servers are configured) -> topics -> parse worker + stories worker + sink ->
publish -> wait until every message is stored (all consumer groups at zero lag) ->
print stories -> stop what it started (unless --follow).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NoReturn

from producers.limits import ProducerLimits
from producers.pipeline import (
    Counts,
    PipelineOptions,
    Prepared,
    ProducerPipeline,
    check_options,
    prepare_document,
)
from producers.publisher import BrokerUnavailable, RawPublisher
from producers.sources.base import Document
from producers.sources.http import FetchError
from producers.sources.reading import read_documents
from wirecore import kafka_admin
from wirecore.errors import UsageError
from wirecore.settings import Settings
from wirecore.topology import READS
from wirestream import local_kafka
from wirestream.owner_api import read_owner
from wirestream.processes import Child, ChildDied, spawn, wait_for

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "anp-buitenland-page.txt"


def load_sources(refs: list[str], fetched_at: str | None = None,
                 limits: ProducerLimits | None = None) -> list[Prepared]:
    """Read, split and order every source through the producer pipeline before anything is
    started. A source that cannot be read, or that yields no wire item at all (empty,
    binary, refused whole), is a ``UsageError``; a source with good items keeps its dead
    letters, which ``publish`` sends to ``wire.dlq`` beside the items. A bad ``--fetched-at``
    is a ``UsageError`` too."""
    check_options(fetched_at=fetched_at)
    opts = PipelineOptions(fetched_at=fetched_at, limits=limits or ProducerLimits())
    out = []
    for ref in refs:
        try:
            docs = list(read_documents(ref, limits=opts.limits, fetched_at=fetched_at))
        except FetchError as exc:
            raise UsageError(f"cannot fetch {exc}") from None
        prepared = [prepare_document(doc, opts) for doc in docs]
        if docs and not any(p.items for p in prepared):
            _refuse(docs[0], prepared[0])
        # a source with items keeps its item-less parts (an oversize JSON line, an empty
        # file of a directory): their dead letters are published beside the items
        out += prepared
    return out


def _refuse(doc: Document, prepared: Prepared) -> NoReturn:
    """The ``UsageError`` for a source that yields no wire item at all, named by its first part."""
    if not doc.refused and not doc.data.strip():
        raise UsageError(f"{doc.name} is empty: nothing to publish")
    why = f" ({prepared.dead_letters[0].reason})" if prepared.dead_letters else ""
    raise UsageError(f"{doc.name}: no wire items found{why}")


def check_data_dir(settings: Settings) -> None:
    d = settings.data_dir
    if d.exists() and not d.is_dir():
        raise UsageError(f"data directory {d} is not a directory (WIRESTREAM_DATA_DIR)")
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"data directory {d} is not writable: {exc.strerror}") from None


def pipeline_drained(settings: Settings, reader: kafka_admin.LagReader) -> bool:
    """True when the worker and the sink have committed everything published so far."""
    lags = []
    for group in READS:  # parse agent, stories loop, sink
        lags += reader.lag(settings.group(group), settings.topology.reads(group))
    return bool(lags) and all(p.lag == 0 for p in lags)


class Pipeline:
    """What ``up`` started, so it can stop exactly that."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.children: list[Child] = []
        self.started_broker = False

    def start(self, log=print) -> None:
        s = self.settings
        if s.embedded and read_owner(s.data_dir):
            raise UsageError(f"a pipeline is already running on {s.data_dir} (see `wirestream status`)")
        if s.local_broker:
            running, _ = local_kafka.status(s)
            if not running:
                log(f"starting local Apache Kafka on {s.bootstrap} (data in {s.data_dir / 'kafka'}) ...")
                local_kafka.start(s)
                self.started_broker = True
        created = kafka_admin.ensure_topics(s)
        if created:
            log(f"created topics: {', '.join(created)}")
        # parse and stories as two worker processes: each has a core and an interpreter lock
        # of its own (in one process the parse loop's Kafka calls take the stories loop's turns)
        self.children.append(spawn(s, "parse", "processors.app", {
            "WIRESTREAM_WORKER_STAGES": "parse", "WIRESTREAM_WORKER_PORT": str(s.metrics_port + 2)}))
        for k in range(1, s.up_story_workers + 1):  # they share wire.items' partitions (story shards)
            env = {"WIRESTREAM_WORKER_STAGES": "stories"}
            if k > 1:  # the first keeps the default worker port (metrics + 1); parse has + 2
                env["WIRESTREAM_WORKER_PORT"] = str(s.metrics_port + 1 + k)
                if s.worker_id:  # one configured id for all would fence each other's transactions
                    env["WIRESTREAM_WORKER_ID"] = f"{s.worker_id}-{k}"
            self.children.append(spawn(s, "processors" if k == 1 else f"processors-{k}", "processors.app", env))
        self.children.append(spawn(s, "sink", "wirestream.sink_service"))
        if s.embedded:
            wait_for(lambda: read_owner(s.data_dir) is not None, self.children, 120, "the sink to open ClickHouse")

    def start_dashboard(self) -> str:
        self.children.append(spawn(self.settings, "dashboard", "wirestream.dashboard"))
        return f"http://127.0.0.1:{self.settings.dashboard_port}/"

    def stop(self) -> None:
        # every child told at once, then each waited for: they stop side by side (each commits
        # its own progress), so `up` ends in the time of the slowest, not of them all in a row
        for c in reversed(self.children):
            c.terminate()
        for c in reversed(self.children):
            c.stop()
        self.children.clear()
        if self.started_broker:
            local_kafka.stop(self.settings)
            self.started_broker = False

    def wait_drained(self, timeout_s: float) -> None:
        # two consecutive drained readings: faust commits on an interval
        state = {"n": 0}

        with kafka_admin.LagReader(self.settings) as reader:  # read every 0.5 s: clients kept
            def drained() -> bool:
                state["n"] = state["n"] + 1 if pipeline_drained(self.settings, reader) else 0
                return state["n"] >= 2

            wait_for(drained, self.children, timeout_s, "every item to reach ClickHouse", interval=0.5)


def publish(settings: Settings, loaded: list[Prepared], err=lambda line: None) -> Counts:
    """Items to ``wire.raw`` and dead letters to ``wire.dlq``, through the producer pipeline."""
    publisher = RawPublisher(settings)
    pipeline = ProducerPipeline(publisher, PipelineOptions(), err=err)
    try:
        for prepared in loaded:
            pipeline.publish(prepared)
            if pipeline.counts.undelivered:
                raise BrokerUnavailable(f"item(s) of {prepared.name} not delivered to Kafka")
    finally:
        publisher.close()
    return pipeline.counts


def follow_forever(pipeline: Pipeline) -> None:
    try:
        while all(c.alive() for c in pipeline.children):
            time.sleep(1)
        dead = [c for c in pipeline.children if not c.alive()]
        raise ChildDied(f"{dead[0].name} exited: {dead[0].reason()} (full log: {dead[0].log})")
    except KeyboardInterrupt:
        pass


