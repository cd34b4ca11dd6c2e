"""The parse stage as a faust-streaming agent (the design card's stream framework for
processors): wire.raw -> wire.items (+ wire.dlq), stateless, at least once.

Why faust is enough here: parse keeps no state, so faust's at-least-once acks are the right
guarantee (a replayed raw item reaches the stories loop as a redelivery, which the sink
stores nothing for). faust acks an event when the agent asks for the next one and, before
committing offsets, flushes its producer (``Consumer._commit_offsets``): produce -> flush ->
commit, as STYLE.md §3 wants. No ``stream.take()``: it acks its buffer in a ``finally``,
even when the batch failed.

Ordering: ``concurrency=1`` and one event at a time, so one raw partition's items reach their
``wire.items`` partitions in order (faust's ``concurrency > 1`` spreads one partition's
events over several agent instances, which reorders them).

An exception escaping a faust agent ends the agent while the worker lives on, so the agent
catches per item: item defects become dead letters (``wirecore.deadletter``); broker and disk
errors pause the agent and retry the same item with the shared backoff, never a dead letter.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

import faust
from aiokafka.errors import KafkaError as AIOKafkaError

from processors import metrics
from processors.health import WorkerHealth
from processors.stages import parse_stage, shard_partition, story_shard
from schemas.models import InvalidItem, dumps
from wirecore.deadletter import build_dead_letter
from wirecore.errors import TransientError
from wirecore.retry import Backoff, RetryPolicy
from wirecore.settings import Settings
from wirecore.topology import PROCESSORS

log = logging.getLogger("wirestream.processors.parse")

STAGE = "parse"
# The broker or the disk, never the item: pause and retry, never dead-letter.
INFRASTRUCTURE = (OSError, MemoryError, TransientError, asyncio.TimeoutError, AIOKafkaError)


def broker_credentials(s: Settings) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """The same SASL/TLS settings the confluent-kafka clients get (``Settings.kafka_conf``)."""
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


def create_app(s: Settings, health: WorkerHealth | None = None, *,
               policy: RetryPolicy | None = None) -> faust.App:
    """The faust app with its one agent. Its web server stays off: processors/web.py is the
    worker's one listener (``/metrics``, ``/healthz``, ``/readyz``) for both stages."""
    health = health or WorkerHealth()
    datadir = s.data_dir / "faust"
    datadir.mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = faust.App(
        s.group(PROCESSORS),  # the same consumer group as the plain parse loop
        broker=[f"kafka://{b.strip()}" for b in s.bootstrap.split(",")],
        broker_credentials=broker_credentials(s),
        store="memory://",  # no tables: the stories state lives in the stories loop's changelog
        datadir=str(datadir.resolve()),
        topic_partitions=1,
        topic_replication_factor=s.topic_replication,
        topic_allow_declare=False,  # topics come from wirecore.kafka_admin (ensure_topics)
        topic_disable_leader=True,  # no __assignor-__leader topic: without it faust's fetcher can
        # wait forever for a topic nobody declares (seen in the full-disk chaos run)
        web_enabled=False,
        web_bind=s.http_host,  # if someone turns faust's web on, it still binds where it should
        web_port=s.metrics_port + 1,
        web_tables_enabled=False,
        web_router_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        # A killed worker's raw partitions move to a live one within ~6-8 s (≤ 15 s asked).
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.5,
        broker_rebalance_timeout=10.0,
        producer_acks=-1,
        producer_max_request_size=s.max_message_bytes + 65536,
        producer_compression_type="lz4",
        producer_linger=0.005,
        broker_commit_every=1000,
        broker_commit_interval=0.5,
        stream_wait_empty=False,  # a rebalance must not wait for a full buffer to drain
    )
    raw_topic = app.topic(s.topic("raw"), value_serializer="raw", key_serializer="raw")
    items_topic = app.topic(s.topic("items"), value_serializer="raw", key_serializer="raw",
                            partitions=s.items_partitions)
    dlq_topic = app.topic(s.topic("dlq"), value_serializer="raw", key_serializer="raw")
    backoff = Backoff(policy or RetryPolicy(initial=0.5, cap=10.0))

    async def dead_letter(reason: str, event) -> None:
        msg = event.message
        metrics.ITEMS.labels(STAGE, "dead_letter").inc()
        metrics.DEAD_LETTERS.labels(STAGE, reason.split(":")[0][:60]).inc()
        dl = build_dead_letter(stage=STAGE, reason=reason, topic=msg.topic, partition=msg.partition,
                               offset=msg.offset, value=event.value, key=event.key, headers=event.headers)
        await dlq_topic.send(key=event.key, value=dumps(dl))

    async def handle(event) -> None:
        try:
            item = parse_stage(event.value, event.headers, s)
        except InvalidItem as exc:
            await dead_letter(exc.reason, event)
            return
        except INFRASTRUCTURE:
            raise
        except Exception as exc:  # noqa: BLE001 - a parser bug on one item: that item's dead letter
            msg = event.message
            log.exception("parse failed on %s[%s]@%s", msg.topic, msg.partition, msg.offset)
            await dead_letter(f"internal error: {type(exc).__name__}: {exc}", event)
            return
        ts_ms = int(event.message.timestamp * 1000) if event.message.timestamp else 0
        partition = shard_partition(story_shard(item, s.story_shard), s.items_partitions)
        await items_topic.send(key=item.item_id.encode(), value=dumps(item), partition=partition,
                               headers=[("raw_ts_ms", str(ts_ms).encode())])
        metrics.ITEMS.labels(STAGE, "ok").inc()

    @app.agent(raw_topic, concurrency=1, name="parse")
    async def parse(stream):
        health.started(STAGE)
        async for event in stream.events():
            while True:
                try:
                    await handle(event)
                    break
                except INFRASTRUCTURE as exc:  # retry the same item; its offset is not acked yet
                    delay = backoff.failed()
                    health.paused(STAGE, type(exc).__name__, str(exc) or type(exc).__name__, delay)
                    await asyncio.sleep(delay)
            if backoff.attempt:
                backoff.reset()
                health.resumed(STAGE)

    return app
