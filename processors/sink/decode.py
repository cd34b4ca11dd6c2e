"""Messages -> rows per table, once per batch; undecodable messages set apart with a reason.

The pure part of storing a batch (rows.py builds the rows): ``Decoded.rows[i]`` is the rows of
``messages[i]`` or None when ``reasons[i]`` says why it can never be stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from processors.sink.batch import Message
from processors.sink.rows import decode_story_event, rows_for_dead_letter, rows_for_story_event
from schemas.models import InvalidItem


@dataclass
class Decoded:
    messages: list[Message]
    rows: list[dict[str, list[dict]] | None]
    reasons: list[str | None]
    raw_timestamps: list[int] = field(default_factory=list)  # for the freshness histogram

    def poison(self) -> list[tuple[Message, str]]:
        return [(m, r) for m, r in zip(self.messages, self.reasons, strict=True) if r is not None]


def decode_messages(messages: list[Message], topic: str, partition: int, is_dlq: bool) -> Decoded:
    rows: list[dict[str, list[dict]] | None] = []
    reasons: list[str | None] = []
    stamps: list[int] = []
    for m in messages:
        try:
            if is_dlq:
                r = rows_for_dead_letter(m.value, topic, partition, m.offset)
            else:
                event = decode_story_event(m.value)
                r = rows_for_story_event(event)
                ts = event.get("raw_timestamp_ms")
                if ts and not event.get("redelivery"):
                    stamps.append(ts)
        except InvalidItem as exc:
            rows.append(None)
            reasons.append(exc.reason)
            continue
        rows.append(r)
        reasons.append(None)
    return Decoded(messages, rows, reasons, stamps)
