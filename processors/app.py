"""The faust worker: agents ``parse`` (wire.raw -> wire.items) and ``stories``
(wire.items -> wire.stories). The ClickHouse sink is a separate plain consumer
(see processors/sink/__init__.py for why).

Every agent catches its own errors: an exception escaping a faust agent kills the agent
silently while the worker lives on, so each failure becomes a dead letter instead.
Story-engine state lives in faust tables (RocksDB via rocksdict, changelog-backed), so a
restarted or rebalanced worker rebuilds the engine from them.
"""

from __future__ import annotations

import logging
import time

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from processors import metrics
from processors.dead_letters import build_dead_letter
from processors.stages import decode_item, parse_stage, story_step
from processors.stories import EngineConfig, StoryEngine
from schemas.models import InvalidItem, dumps
from wirecore.settings import Settings, load_settings

log = logging.getLogger("wirestream.processors")

ROCKSDB_OPTIONS = {  # bounded memory: 32 MiB block cache, 2 x 16 MiB write buffers
    "block_cache_size": 32 << 20,
    "write_buffer_size": 16 << 20,
    "max_write_buffer_number": 2,
}


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


def create_app(settings: Settings | None = None) -> faust.App:
    s = settings or load_settings()
    (s.data_dir / "faust").mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = faust.App(
        s.group("processors"),
        broker=[f"kafka://{b.strip()}" for b in s.bootstrap.split(",")],
        broker_credentials=broker_credentials(s),
        store="rocksdb://",
        datadir=str((s.data_dir / "faust").resolve()),
        topic_partitions=1,
        topic_replication_factor=s.topic_replication,
        web_enabled=True,
        web_port=s.metrics_port + 1,
        web_host=s.http_host,
        producer_acks=-1,
        producer_max_request_size=s.max_message_bytes + 65536,  # story events are larger than raw items
        broker_commit_every=100,
        broker_commit_interval=1.0,
    )
    raw_topic = app.topic(s.topic("raw"), value_serializer="raw", key_serializer="raw")
    items_topic = app.topic(s.topic("items"), value_serializer="raw", key_serializer="raw", partitions=1)
    stories_topic = app.topic(s.topic("stories"), value_serializer="raw", key_serializer="raw")
    dlq_topic = app.topic(s.topic("dlq"), value_serializer="raw", key_serializer="raw")
    json_schema = faust.Schema(key_serializer="json", value_serializer="json")
    state = app.Table("story-state", partitions=1, schema=json_schema, options=ROCKSDB_OPTIONS)
    seen = app.Table("seen-items", partitions=1, schema=json_schema, options=ROCKSDB_OPTIONS)
    engine_cfg = EngineConfig(idle_hours=s.story_idle_hours)
    holder: dict[str, StoryEngine] = {}

    async def dead_letter(stage: str, reason: str, event) -> None:
        msg = event.message
        metrics.DEAD_LETTERS.labels(stage, reason.split(":")[0][:60]).inc()
        dl = build_dead_letter(
            stage=stage, reason=reason, topic=msg.topic, partition=msg.partition,
            offset=msg.offset, value=event.value, key=event.key, headers=event.headers,
        )
        await dlq_topic.send(key=event.key, value=dumps(dl))

    @app.agent(raw_topic, concurrency=1)
    async def parse(stream):
        async for event in stream.events():
            try:
                item = parse_stage(event.value, event.headers, s)
            except InvalidItem as exc:
                metrics.ITEMS.labels("parse", "dead_letter").inc()
                await dead_letter("parse", exc.reason, event)
                continue
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the agent silently
                log.exception("parse failed on %s[%s]@%s", event.message.topic,
                              event.message.partition, event.message.offset)
                await dead_letter("parse", f"internal error: {type(exc).__name__}: {exc}", event)
                continue
            ts_ms = int(event.message.timestamp * 1000) if event.message.timestamp else 0
            metrics.ITEMS.labels("parse", "ok").inc()
            await items_topic.send(
                key=item.item_id.encode(), value=dumps(item),
                headers=[("raw_ts_ms", str(ts_ms).encode())],
            )

    @app.agent(items_topic, concurrency=1)
    async def stories(stream):
        async for event in stream.events():
            try:
                engine = holder.get("engine")
                if engine is None:
                    t0 = time.perf_counter()
                    engine = holder["engine"] = StoryEngine.restore(engine_cfg, list(state.items()))
                    log.info("story engine restored from table in %.2fs", time.perf_counter() - t0)
                item = decode_item(event.value)
                story_event, changes, record = story_step(
                    engine, item, seen.get(item.item_id), event.message.offset, _raw_ts(event.headers))
                for key, value in changes.items():
                    if value is None:
                        state.pop(key, None)
                    else:
                        state[key] = value
                if record is not None:
                    seen[item.item_id] = record
            except InvalidItem as exc:
                await dead_letter("stories", exc.reason, event)
                continue
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the agent silently
                log.exception("story engine failed on offset %s", event.message.offset)
                await dead_letter("stories", f"internal error: {type(exc).__name__}: {exc}", event)
                continue
            metrics.RELATIONS.labels(story_event.relation).inc()
            metrics.ITEMS.labels("stories", "redelivery" if story_event.redelivery else "ok").inc()
            await stories_topic.send(key=story_event.story_id.encode(), value=dumps(story_event))

    @app.on_partitions_revoked.connect
    async def _drop_engine(app, revoked, **kwargs) -> None:  # noqa: ARG001
        holder.pop("engine", None)  # rebuilt from the table by whoever owns it next

    @app.page("/metrics")
    async def _metrics(web, request):  # noqa: ARG001
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app


def _raw_ts(headers) -> int | None:
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for k, v in items:
        if (k.decode() if isinstance(k, bytes) else k) == "raw_ts_ms":
            try:
                return int(v) or None
            except ValueError:
                return None
    return None


def main(settings: Settings | None = None) -> None:
    """Entry point of the worker process: ``python -m processors.app`` (or ``wirestream worker``,
    which passes the settings its flags, e.g. ``--data-dir``, produced)."""
    import sys

    app = create_app(settings)
    sys.argv = [sys.argv[0], "worker", "-l", "info"]
    app.main()

if __name__ == "__main__":
    main()
