"""``wirestream up``: the main job on one machine, from sources to a printed story table.

Order: check sources and data dir (so bad input fails before anything starts) -> local
broker (unless bootstrap servers are configured) -> topics -> faust worker + sink ->
publish -> wait until every message is stored (all consumer groups at zero lag) ->
print stories -> stop what it started (unless --follow).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from producers.formats import split_document
from producers.formats.order import publication_order
from producers.publisher import BrokerUnavailable, RawPublisher
from producers.sources.base import Document, source_name
from producers.sources.files import iter_file_documents
from producers.sources.http import FetchError, UrlSource
from schemas.models import RawItem
from wirecore import kafka_admin
from wirecore.errors import UsageError
from wirecore.settings import Settings
from wirecore.topology import READS
from wirestream import local_kafka
from wirestream.owner_api import read_owner
from wirestream.processes import Child, ChildDied, spawn, wait_for

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "anp-buitenland-page.txt"


@dataclass
class Loaded:
    name: str
    items: list[RawItem]


def read_source(ref: str, fetched_at: str | None) -> list[Document]:
    """The documents of a file, a directory or a URL (the same sources `produce` uses)."""
    if ref.startswith(("http://", "https://")):
        try:
            with httpx.Client(timeout=30) as client:
                doc = UrlSource(ref, client).fetch()
        except FetchError as exc:
            raise UsageError(f"cannot fetch {exc}") from None
        if fetched_at and doc is not None:
            doc.fetched_at = fetched_at
        return [doc] if doc is not None else []
    if not Path(ref).exists():
        raise UsageError(f"no such file: {ref}")
    try:
        return list(iter_file_documents(ref, fetched_at))
    except OSError as exc:
        raise UsageError(f"cannot read {ref}: {exc.strerror}") from None


def load_sources(refs: list[str], fetched_at: str | None = None) -> list[Loaded]:
    """Split every source into raw items, in publication order; any bad source is a UsageError
    before anything has been started or written."""
    out = []
    for ref in refs:
        for doc in read_source(ref, fetched_at):
            if not doc.data.strip():
                raise UsageError(f"{doc.name} is empty: nothing to publish")
            result = split_document(doc.data, None, source=source_name(doc.url or doc.name),
                                    fetched_at=doc.fetched_at, url=doc.url, content_type=doc.content_type)
            if not result.items:
                why = f" ({result.errors[0][0]})" if result.errors else ""
                raise UsageError(f"{doc.name}: no wire items found{why}")
            out.append(Loaded(doc.name, publication_order(result.items)))
    return out


def check_data_dir(settings: Settings) -> None:
    d = settings.data_dir
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"data directory {d} is not writable: {exc.strerror}") from None


def pipeline_drained(settings: Settings) -> bool:
    """True when the worker and the sink have committed everything published so far."""
    lags = []
    for group in READS:  # parse agent, stories loop, sink
        lags += kafka_admin.group_lag(settings, settings.group(group), settings.topology.reads(group))
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
        self.children.append(spawn(s, "processors", "processors.app"))
        self.children.append(spawn(s, "sink", "wirestream.sink_service"))
        if s.embedded:
            wait_for(lambda: read_owner(s.data_dir) is not None, self.children, 120, "the sink to open ClickHouse")

    def start_dashboard(self) -> str:
        self.children.append(spawn(self.settings, "dashboard", "wirestream.dashboard"))
        return f"http://127.0.0.1:{self.settings.dashboard_port}/"

    def stop(self) -> None:
        for c in reversed(self.children):
            c.stop()
        self.children.clear()
        if self.started_broker:
            local_kafka.stop(self.settings)
            self.started_broker = False

    def wait_drained(self, timeout_s: float) -> None:
        # two consecutive drained readings: faust commits on an interval
        state = {"n": 0}

        def drained() -> bool:
            state["n"] = state["n"] + 1 if pipeline_drained(self.settings) else 0
            return state["n"] >= 2

        wait_for(drained, self.children, timeout_s, "every item to reach ClickHouse", interval=0.5)


def publish(settings: Settings, loaded: list[Loaded]) -> int:
    publisher = RawPublisher(settings)
    total = 0
    for src in loaded:
        report = publisher.publish(src.items)
        if report.failed:
            raise BrokerUnavailable(
                f"{len(report.failed)} item(s) of {src.name} not delivered: {report.failed[0]}")
        total += report.published
    publisher.close()
    return total


def follow_forever(pipeline: Pipeline) -> None:
    try:
        while all(c.alive() for c in pipeline.children):
            time.sleep(1)
        dead = [c for c in pipeline.children if not c.alive()]
        raise ChildDied(f"{dead[0].name} exited: {dead[0].reason()} (full log: {dead[0].log})")
    except KeyboardInterrupt:
        pass


