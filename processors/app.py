"""The worker process: the faust agent ``parse`` (wire.raw -> wire.items) and, in a thread
beside it, the transactional stories loop (wire.items -> wire.stories; processors/story_loop.py).

Why two styles in one process: parse is stateless, so faust's at-least-once agent is enough
(a replayed raw item becomes a redelivery the sink stores nothing for); the stories stage
must commit its state, input offsets and events atomically, which faust's per-event agent
cannot do without its slow exactly-once mode (see docs/notes/stage.md for the numbers).

The parse agent sends each item to the ``wire.items`` partition of its story shard (the
language by default), so N workers share the stories load, one engine per partition.
An exception escaping a faust agent kills it silently while the worker lives on, so the
agent catches per item: item defects become dead letters; infrastructure errors pause the
agent and retry the same item with the shared backoff (never a dead letter).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading

import faust
import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from processors import metrics
from processors.dead_letters import build_dead_letter
from processors.health import WorkerHealth
from processors.stages import parse_stage, shard_partition, story_shard
from processors.story_loop import StoryLoop
from processors.worker_id import worker_identity
from schemas.models import InvalidItem, dumps
from wirecore.errors import TransientError
from wirecore.retry import Backoff, RetryPolicy
from wirecore.settings import Settings, load_settings

log = logging.getLogger("wirestream.processors")

INFRASTRUCTURE = (OSError, MemoryError, TransientError, asyncio.TimeoutError)  # pause, never DLQ


def broker_credentials(s: Settings):
    """The same SASL/TLS settings the confluent-kafka clients get (Settings.kafka_conf)."""
    import ssl

    protocol = s.kafka_security_protocol.upper()
    context = None
    if protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=s.kafka_ssl_ca_location)
    if protocol.startswith("SASL"):
        password = s.kafka_sasl_password.get_secret_value() if s.kafka_sasl_password else None
        return faust.SASLCredentials(username=s.kafka_sasl_username, password=password,
                                     mechanism=s.kafka_sasl_mechanism or "PLAIN", ssl_context=context)
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def create_app(settings: Settings | None = None, health: WorkerHealth | None = None) -> faust.App:
    s = settings or load_settings()
    health = health or WorkerHealth()
    (s.data_dir / "faust").mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = faust.App(
        s.group("processors"),
        broker=[f"kafka://{b.strip()}" for b in s.bootstrap.split(",")],
        broker_credentials=broker_credentials(s),
        store="memory://",  # no tables: the stories state lives in the stories loop's changelog
        datadir=str((s.data_dir / "faust").resolve()),
        topic_partitions=1,
        topic_replication_factor=s.topic_replication,
        web_enabled=True,
        web_port=s.metrics_port + 1,
        web_bind=s.http_host,  # faust listens on web_bind (web_host only names the URL)
        web_host=s.http_host,
        web_tables_enabled=False,
        web_router_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        broker_session_timeout=10.0,  # a killed worker's raw partitions move within ~10 s
        broker_heartbeat_interval=2.0,
        producer_acks=-1,
        producer_max_request_size=s.max_message_bytes + 65536,
        producer_linger=0.005,
        broker_commit_every=1000,
        broker_commit_interval=0.5,
    )
    raw_topic = app.topic(s.topic("raw"), value_serializer="raw", key_serializer="raw")
    items_topic = app.topic(s.topic("items"), value_serializer="raw", key_serializer="raw",
                            partitions=s.items_partitions)
    dlq_topic = app.topic(s.topic("dlq"), value_serializer="raw", key_serializer="raw")
    backoff = Backoff(RetryPolicy(initial=0.5, cap=10.0))

    async def dead_letter(stage: str, reason: str, event) -> None:
        msg = event.message
        metrics.DEAD_LETTERS.labels(stage, reason.split(":")[0][:60]).inc()
        dl = build_dead_letter(
            stage=stage, reason=reason, topic=msg.topic, partition=msg.partition,
            offset=msg.offset, value=event.value, key=event.key, headers=event.headers,
        )
        await dlq_topic.send(key=event.key, value=dumps(dl))

    async def handle(event) -> None:
        try:
            item = parse_stage(event.value, event.headers, s)
        except InvalidItem as exc:
            metrics.ITEMS.labels("parse", "dead_letter").inc()
            await dead_letter("parse", exc.reason, event)
            return
        except INFRASTRUCTURE:
            raise
        except Exception as exc:  # noqa: BLE001 - a parser bug on one item must not kill the agent
            log.exception("parse failed on %s[%s]@%s", event.message.topic,
                          event.message.partition, event.message.offset)
            await dead_letter("parse", f"internal error: {type(exc).__name__}: {exc}", event)
            return
        ts_ms = int(event.message.timestamp * 1000) if event.message.timestamp else 0
        partition = shard_partition(story_shard(item, s.story_shard), s.items_partitions)
        await items_topic.send(
            key=item.item_id.encode(), value=dumps(item), partition=partition,
            headers=[("raw_ts_ms", str(ts_ms).encode())],
        )
        metrics.ITEMS.labels("parse", "ok").inc()

    @app.agent(raw_topic, concurrency=1)
    async def parse(stream):
        health.started("parse")
        async for event in stream.events():
            while True:
                try:
                    await handle(event)
                    break
                except INFRASTRUCTURE as exc:  # the disk or the broker, not the item: retry it
                    delay = backoff.failed()
                    health.paused("parse", type(exc).__name__, str(exc), delay)
                    await asyncio.sleep(delay)
            if backoff.attempt:
                backoff.reset()
                health.resumed("parse")

    @app.page("/metrics")
    async def _metrics(web, request):  # noqa: ARG001
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def _healthz(web, request):  # noqa: ARG001
        return web.json({"ok": True})

    @app.page("/readyz")
    async def _readyz(web, request):  # noqa: ARG001
        report = health.report()
        return web.bytes(orjson.dumps(report), content_type="application/json",
                         status=200 if report["ready"] else 503)

    return app


def start_story_loop(settings: Settings, health: WorkerHealth) -> tuple[threading.Thread, threading.Event]:
    """The stories loop in a thread; a bug there ends the whole worker (exit 70), loudly."""
    stop = threading.Event()
    loop = StoryLoop(settings, worker_identity(settings.worker_id, settings.data_dir), health, stop)

    def run() -> None:
        try:
            loop.run()
        except BaseException:
            log.exception("stories loop crashed: ending the worker")
            logging.shutdown()
            os._exit(70)

    thread = threading.Thread(target=run, name="stories-loop", daemon=True)
    thread.start()
    return thread, stop


def main() -> None:
    """Entry point of the worker process: ``python -m processors.app``."""
    import sys

    settings = load_settings()
    health = WorkerHealth()
    app = create_app(settings, health)
    thread, stop = start_story_loop(settings, health)
    sys.argv = [sys.argv[0], "worker", "-l", "info"]
    try:
        app.main()
    finally:
        stop.set()  # leave cleanly: abort nothing committed, close the consumer
        thread.join(15)

if __name__ == "__main__":
    main()
