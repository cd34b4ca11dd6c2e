"""Settings for every command, from env vars (``WIRESTREAM_*``), an optional env file and flags.

One class so that the README's configuration table, the CLI and deploy/ all agree. Secrets
are ``SecretStr``: they never appear in logs, ``repr`` or ``/readyz``. A ``*_FILE`` variant
(e.g. ``WIRESTREAM_KAFKA_SASL_PASSWORD_FILE``) reads a secret from a mounted file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from annotated_types import Ge, Gt, Le, Lt
from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.ddl import IDENTIFIER
from wirecore.errors import UsageError
from wirecore.logs import kafka_logger
from wirecore.topology import Topology

# Ranges every number setting must be in (declared once here, named in the error message):
# a zero, negative, NaN or infinite value would silently disable what it bounds.
Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(gt=0)]  # NaN/inf are refused for every field (allow_inf_nan)
SECRET_FILES = ("kafka_sasl_password", "clickhouse_dsn")  # WIRESTREAM_<NAME>_FILE may hold them


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WIRESTREAM_",
        env_file=os.environ.get("WIRESTREAM_ENV_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        allow_inf_nan=False,
    )

    data_dir: Path = Field(Path(".wirestream"), description="local broker data and chdb live here")

    # Kafka
    kafka_bootstrap: str | None = Field(
        None, description="bootstrap servers; unset = run the local broker from deploy/kafka"
    )
    kafka_port: int = Field(9092, ge=1, le=65534, description="port of the local broker (controller: port+1)")
    # checked here (any case): librdkafka refuses an unknown value only when a client is built,
    # which a worker's loops took for a broker error and retried for ever
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, description="unset or empty = no SASL")
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_location: str | None = None
    topic_prefix: str = Field("", description="prepended to every topic and group name")
    topic_partitions: Count = Field(3, description="partitions of wire.raw (the parse stage's parallelism)")
    stories_partitions: Count = Field(
        1, description="partitions of wire.stories = the sink's unit of work: every partition's batch is its own "
        "insert into every table, so more partitions mean more, smaller inserts (embedded chdb has one sink "
        "anyway); raise it to spread several sinks over a ClickHouse server")
    items_partitions: Count = Field(
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
    worker_port: Port | None = Field(
        None, description="the worker's /metrics, /healthz, /readyz port (default: metrics port + 1; "
        "`up` gives its parse-only worker metrics port + 2)")
    worker_id: str | None = Field(
        None, description="stable worker identity (transactional.id, group.instance.id); "
                          "unset = host + data dir + a free slot")
    topic_replication: Count = 1

    # ClickHouse
    clickhouse_dsn: SecretStr | None = Field(
        None, description="clickhouse-connect DSN; unset = chdb:///<data_dir>/chdb (embedded)"
    )
    clickhouse_database: str = Field("wirestream", pattern=IDENTIFIER.pattern,
                                     description="a ClickHouse identifier: it is part of every statement")
    clickhouse_ttl_days: Count | None = Field(None, description="drop item rows older than this; unset = never")

    # Stages
    max_item_bytes: Count = Field(1 << 20, description="larger raw items go to the DLQ")
    max_document_bytes: Count = Field(
        16 << 20, description="larger fetched documents (files, HTTP bodies, decompressed) are "
        "refused to the DLQ with a prefix; JSON-lines files are streamed line by line instead, and "
        "RSS/Atom/NewsML-G2 files (and stdin) as runs of whole items")
    fetch_deadline_s: Seconds = Field(60.0, description="total time one URL fetch may take")
    fetch_allow_private: str = Field(
        "", description="comma-separated hosts/CIDRs a URL source may reach although they are "
        "loopback/private/link-local (the configured URL's own address is always allowed)")

    @property
    def max_message_bytes(self) -> int:
        """Topic/producer message limit: a story event or dead letter (base64) of the largest
        accepted item must fit, with room for the story snapshot and evidence."""
        return max(8 << 20, 3 * self.max_item_bytes)
    future_tolerance_s: int = Field(900, ge=0, description="published_at further ahead -> DLQ")
    story_idle_hours: float = Field(72.0, gt=0, description="stories idle this long are closed")
    sink_batch_rows: Count = Field(5000, description="a sink batch closes at this many rows")
    sink_batch_bytes: Count = Field(8 << 20, description="a sink batch closes at this many bytes")
    sink_batch_ms: Count = Field(
        150, description="a sink batch closes this long after its first row (or at rows/bytes): "
        "the freshness floor of a quiet stream; a backlog still fills whole batches")
    metrics_port: int = Field(
        9464, ge=0, le=65535 - 65,  # `up`'s workers listen on up to metrics port + 1 + 64
        description="sink: /metrics, /healthz, /readyz; worker: the same on port+1 "
        "(0 = any free port for each, named in its log)")
    dashboard_port: Port = 8000
    http_host: str = Field(
        "127.0.0.1", description="bind address of /metrics, /healthz, /readyz (0.0.0.0 in containers); "
        "the SQL read API never follows it: it stays on 127.0.0.1")
    api_port: int = Field(0, ge=0, le=65535, description="port of the sink's SQL read API on 127.0.0.1 "
                          "(0 = any free port; readers find it in <data_dir>/chdb.owner.json)")
    api_query_timeout_s: Seconds = Field(30.0, description="read API: a query is killed after this long")
    api_max_memory_bytes: Count = Field(1 << 30, description="read API: memory one query may use")
    api_max_result_rows: Count = Field(100_000, description="read API: rows one query may return")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="for every process (any case)")
    log_format: Literal["plain", "json"] = Field("plain", description="json = one JSON object per line")
    ready_max_lag: int = Field(10000, ge=0, description="/readyz fails above this consumer lag")

    _unreadable: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir_not_empty(cls, value: object) -> object:
        """``Path("")`` is the current directory: an empty value is a mistake, not a choice."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty (use . for the current directory)")
        return value

    @field_validator("log_level", "kafka_security_protocol", mode="before")
    @classmethod
    def _level_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("kafka_sasl_mechanism", mode="before")
    @classmethod
    def _mechanism_any_case(cls, value: object) -> object:
        """Any case; an empty value (``VAR=`` in a compose file) is unset, as before."""
        if isinstance(value, str):
            return value.strip().upper() or None
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _secret_files(self) -> Settings:
        """Read ``WIRESTREAM_<SECRET>_FILE``. An unreadable file is reported (naming the
        variable) by the first command that needs the secret (``secret()``), so ``parse`` or
        ``ddl`` still run with a Kafka password file that is only mounted for the worker."""
        for name in SECRET_FILES:
            env = f"WIRESTREAM_{name.upper()}_FILE"
            path = os.environ.get(env)
            if path and getattr(self, name) is None:
                try:
                    setattr(self, name, SecretStr(Path(path).read_text(encoding="utf-8").strip()))
                except (OSError, UnicodeDecodeError) as exc:
                    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                    self._unreadable[name] = f"{env}={path!r}: cannot read it: {why}"
        return self

    def secret(self, name: str) -> SecretStr | None:
        """A secret setting; ``UsageError`` (exit 2) if its ``*_FILE`` could not be read."""
        if name in self._unreadable:
            raise UsageError(self._unreadable[name])
        return getattr(self, name)

    # derived ---------------------------------------------------------------------------
    @property
    def local_broker(self) -> bool:
        return not self.kafka_bootstrap

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def dsn(self) -> str:
        dsn = self.secret("clickhouse_dsn")
        if dsn is not None:
            return dsn.get_secret_value()
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

    def kafka_conf(self) -> dict[str, Any]:
        """librdkafka settings shared by every confluent-kafka client (its log through ours:
        ``wirecore.logs.kafka_logger``)."""
        conf: dict[str, Any] = {"bootstrap.servers": self.bootstrap, "security.protocol": self.kafka_security_protocol,
                                "logger": kafka_logger()}
        if self.kafka_sasl_mechanism:
            conf["sasl.mechanism"] = self.kafka_sasl_mechanism
            conf["sasl.username"] = self.kafka_sasl_username or ""
            password = self.secret("kafka_sasl_password")
            if password is not None:
                conf["sasl.password"] = password.get_secret_value()
        if self.kafka_ssl_ca_location:
            conf["ssl.ca.location"] = self.kafka_ssl_ca_location
        return conf


def load_settings(**overrides) -> Settings:
    """Settings from the environment, the env file and ``overrides`` (None = not given).

    ``WIRESTREAM_ENV_FILE`` names a file that must exist (a typo would silently drop every
    setting in it; ``/dev/null`` means none); the default ``.env`` is read when present. An env
    file that is not UTF-8 is a ``UsageError`` naming it, not a decoding traceback.
    """
    named = os.environ.get("WIRESTREAM_ENV_FILE")
    env_file = Path(named if named is not None else ".env")
    if named is not None and (not env_file.exists() or env_file.is_dir()):
        raise UsageError(f"WIRESTREAM_ENV_FILE={named!r}: no such file (use /dev/null for none)")
    try:
        return Settings(_env_file=env_file, **{k: v for k, v in overrides.items() if v is not None})
    except UnicodeDecodeError as exc:
        raise UsageError(f"env file {env_file.resolve()} is not UTF-8 text (byte {exc.start}): "
                         "fix or remove it") from None


def allowed_range(field: str) -> str | None:
    """The declared range of a number setting, e.g. ``1 to 65534`` (for error messages)."""
    info = Settings.model_fields.get(field)
    if info is None:
        return None
    constraints = list(info.metadata)
    for arg in get_args(info.annotation):  # `Count | None`: the bounds sit on the union member
        for meta in getattr(arg, "__metadata__", ()):
            constraints += getattr(meta, "metadata", [])
    low = high = None
    for c in constraints:
        if isinstance(c, Ge | Gt):
            low = f"{c.ge}" if isinstance(c, Ge) else f"more than {c.gt}"
        elif isinstance(c, Le | Lt):
            high = f"{c.le}" if isinstance(c, Le) else f"less than {c.lt}"
    if low and high:
        return f"{low} to {high}"
    if low:
        return f"at least {low}" if low[0].isdigit() else low
    return f"at most {high}" if high else None
