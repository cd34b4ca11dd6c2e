"""The one builder of ``DeadLetter`` records, shared by every stage (pure: no Kafka here).

It lives in the core layer because both producers (items they cannot cut out of a document,
documents they must refuse, items larger than the topic accepts) and processors (items the
parser refuses) dead-letter, and the two stage packages must not import each other.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from schemas.models import DeadLetter, decode_headers

_B64_OVERHEAD = 4 / 3
_ENVELOPE = 64 << 10  # reason, headers and JSON framing of one dead letter


def build_dead_letter(
    *, stage: str, reason: str, topic: str | None, partition: int | None, offset: int | None,
    value: bytes | None, key: bytes | None = None, headers=None,
) -> DeadLetter:
    hdrs = decode_headers(headers)
    return DeadLetter(
        stage=stage, reason=reason or "unknown error", origin_topic=topic,
        origin_partition=partition, origin_offset=offset, original=value or b"",
        original_key=key, headers=hdrs,
        failed_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )


def original_budget(max_message_bytes: int) -> int:
    """How many original bytes fit in one dead letter on a topic of ``max_message_bytes``
    (the original travels base64-encoded inside JSON)."""
    return max(0, int((max_message_bytes - _ENVELOPE) / _B64_OVERHEAD))


def fit_original(value: bytes, budget: int, total: int | None = None, *,
                 at_least: bool = False) -> tuple[bytes, str]:
    """``value`` cut to ``budget`` bytes, and the reason suffix that says what was kept.

    ``total`` is the item's real size when ``value`` is already only a prefix of it (a line
    or document that was too large to keep while streaming). The suffix names the size and a
    hash of the kept prefix, so an operator can find the full item at its source;
    ``at_least`` says reading stopped early, so ``total`` is a lower bound."""
    total = len(value) if total is None else total
    if total <= budget and len(value) == total:
        return value, ""
    kept = value[:budget]
    digest = hashlib.blake2b(kept, digest_size=8).hexdigest()
    size = f"at least {total}" if at_least else str(total)
    return kept, f"; original of {size} bytes truncated to its first {len(kept)} (blake2b {digest})"
