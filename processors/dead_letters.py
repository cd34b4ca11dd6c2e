"""The one place that turns a failure into a ``DeadLetter`` (pure: no Kafka here)."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.models import DeadLetter


def build_dead_letter(
    *, stage: str, reason: str, topic: str | None, partition: int | None, offset: int | None,
    value: bytes | None, key: bytes | None = None, headers=None,
) -> DeadLetter:
    hdrs: dict[str, str] = {}
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for k, v in items:
        name = k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k)
        hdrs[name] = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
    return DeadLetter(
        stage=stage, reason=reason or "unknown error", origin_topic=topic,
        origin_partition=partition, origin_offset=offset, original=value or b"",
        original_key=key, headers=hdrs,
        failed_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
