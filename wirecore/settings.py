"""Settings for every command, from env vars (``WIRESTREAM_*``), an optional env file and flags.

One class so that the README's configuration table, the CLI and deploy/ all agree. Secrets
are ``SecretStr``: they never appear in logs, ``repr`` or ``/readyz``. A ``*_FILE`` variant
(e.g. ``WIRESTREAM_KAFKA_SASL_PASSWORD_FILE``) reads a secret from a mounted file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wirecore.topology import Topology


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WIRESTREAM_",
        env_file=os.environ.get("WIRESTREAM_ENV_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Field(Path(".wirestream"), description="local broker data and chdb live here")

    # Kafka
    kafka_bootstrap: str | None = Field(
        None, description="bootstrap servers; unset = run the local broker from deploy/kafka"
    )
    kafka_port: int = Field(9092, description="port of the local broker (controller: port+1)")
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_location: str | None = None
    topic_prefix: str = Field("", description="prepended to every topic and group name")
    topic_partitions: int = Field(3, description="partitions of wire.raw (the parse stage's parallelism)")
    stories_partitions: int = Field(
        1, description="partitions of wire.stories = the sink's unit of work: every partition's batch is its own "
        "insert into every table, so more partitions mean more, smaller inserts (embedded chdb has one sink "
        "anyway); raise it to spread several sinks over a ClickHouse server")
    items_partitions: int = Field(
        4, description="partitions of wire.items = story shards; up to this many stories workers share the load")
    story_shard: Literal["language", "source", "none"] = Field(
        "language", description="what keys wire.items: stories never span two shards")
    parse_engine: Literal["faust", "plain"] = Field(
        "plain", description="the worker's parse stage: the plain confluent-kafka loop, or a faust-streaming "
        "agent (docs/stories-stage.md: measured slower, and seen stalling after a broker restart)")
    worker_stages: Literal["all", "parse", "stories"] = Field(
        "all", description="the stages one worker process runs: both, or only one (`up` runs parse and stories "
        "as two processes, so the stories loop has a core and an interpreter lock to itself)")
    up_story_workers: int = Field(
        1, ge=1, le=64, description="stories worker processes `wirestream up` starts on this machine (each takes "
        "some of the wire.items partitions: more than WIRESTREAM_ITEMS_PARTITIONS would idle); the first "
        "serves metrics port + 1, the k-th (k >= 2) metrics port + 1 + k")
    worker_port: int | None = Field(
        None, description="the worker's /metrics, /healthz, /readyz port (default: metrics port + 1; "
        "`up` gives its parse-only worker metrics port + 2)")
    worker_id: str | None = Field(
        None, description="stable worker identity (transactional.id, group.instance.id); "
                          "unset = host + data dir + a free slot")
    topic_replication: int = 1

    # ClickHouse
    clickhouse_dsn: SecretStr | None = Field(
        None, description="clickhouse-connect DSN; unset = chdb:///<data_dir>/chdb (embedded)"
    )
    clickhouse_database: str = "wirestream"
    clickhouse_ttl_days: int | None = Field(None, description="drop item rows older than this")

    # Stages
    max_item_bytes: int = Field(1 << 20, description="larger raw items go to the DLQ")
    max_document_bytes: int = Field(
        16 << 20, description="larger fetched documents (files, HTTP bodies, decompressed) are "
        "refused to the DLQ with a prefix; JSON-lines files are streamed line by line instead")
    fetch_deadline_s: float = Field(60.0, description="total time one URL fetch may take")
    fetch_allow_private: str = Field(
        "", description="comma-separated hosts/CIDRs a URL source may reach although they are "
        "loopback/private/link-local (the configured URL's own address is always allowed)")

    @property
    def max_message_bytes(self) -> int:
        """Topic/producer message limit: a story event or dead letter (base64) of the largest
        accepted item must fit, with room for the story snapshot and evidence."""
        return max(8 << 20, 3 * self.max_item_bytes)
    future_tolerance_s: int = Field(900, description="published_at further ahead -> DLQ")
    story_idle_hours: float = Field(72.0, description="stories idle this long are closed")
    sink_batch_rows: int = Field(5000, description="a sink batch closes at this many rows")
    sink_batch_bytes: int = Field(8 << 20, description="a sink batch closes at this many bytes")
    sink_batch_ms: int = Field(
        150, description="a sink batch closes this long after its first row (or at rows/bytes): "
        "the freshness floor of a quiet stream; a backlog still fills whole batches")
    metrics_port: int = Field(
        9464, description="sink: /metrics, /healthz, /readyz; worker: the same on port+1")
    dashboard_port: int = 8000
    http_host: str = Field(
        "127.0.0.1", description="bind address of /metrics, /healthz, /readyz (0.0.0.0 in containers); "
        "the SQL read API never follows it: it stays on 127.0.0.1")
    api_port: int = Field(0, description="port of the sink's SQL read API on 127.0.0.1 (0 = any free port; "
                          "readers find it in <data_dir>/chdb.owner.json)")
    api_query_timeout_s: float = Field(30.0, description="read API: a query is killed after this long")
    api_max_memory_bytes: int = Field(1 << 30, description="read API: memory one query may use")
    api_max_result_rows: int = Field(100_000, description="read API: rows one query may return")
    log_level: str = Field("INFO", description="DEBUG | INFO | WARNING | ERROR, for every process")
    log_format: str = Field("plain", description="plain | json (one JSON object per line)")
    ready_max_lag: int = Field(10000, description="/readyz fails above this consumer lag")

    @model_validator(mode="after")
    def _secret_files(self) -> Settings:
        for name in ("kafka_sasl_password", "clickhouse_dsn"):
            path = os.environ.get(f"WIRESTREAM_{name.upper()}_FILE")
            if path and getattr(self, name) is None:
                setattr(self, name, SecretStr(Path(path).read_text().strip()))
        return self

    # derived ---------------------------------------------------------------------------
    @property
    def local_broker(self) -> bool:
        return not self.kafka_bootstrap

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def dsn(self) -> str:
        if self.clickhouse_dsn is not None:
            return self.clickhouse_dsn.get_secret_value()
        return f"chdb://{self.chdb_path}"

    @property
    def chdb_path(self) -> Path:
        return (self.data_dir / "chdb").resolve()

    @property
    def embedded(self) -> bool:
        return self.dsn.startswith("chdb:")

    @property
    def topology(self) -> Topology:
        return Topology(self.topic_prefix, self.topic_partitions, self.items_partitions, self.stories_partitions)

    def topic(self, name: str) -> str:
        """``topic("raw")`` -> ``wire.raw`` (with the configured prefix); see wirecore.topology."""
        return self.topology.topic(name)

    def group(self, name: str) -> str:
        return self.topology.group(name)

    def kafka_conf(self) -> dict[str, str]:
        """librdkafka settings shared by every confluent-kafka client."""
        conf = {"bootstrap.servers": self.bootstrap, "security.protocol": self.kafka_security_protocol}
        if self.kafka_sasl_mechanism:
            conf["sasl.mechanism"] = self.kafka_sasl_mechanism
            conf["sasl.username"] = self.kafka_sasl_username or ""
            if self.kafka_sasl_password is not None:
                conf["sasl.password"] = self.kafka_sasl_password.get_secret_value()
        if self.kafka_ssl_ca_location:
            conf["ssl.ca.location"] = self.kafka_ssl_ca_location
        return conf


def load_settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
