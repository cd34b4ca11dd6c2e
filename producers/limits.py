"""The size and time limits of the producer side, as one small frozen config.

Built once at the entry point (``up``, ``produce``, ``parse``) from the settings, so the
readers, the URL fetcher and the pipeline stay free of the settings object. Every limit is
checked *while* bytes arrive, never after a whole file or body was read.
"""

from __future__ import annotations

from dataclasses import dataclass

from wirecore.deadletter import original_budget


@dataclass(frozen=True, slots=True)
class ProducerLimits:
    max_item_bytes: int = 1 << 20
    max_document_bytes: int = 16 << 20
    max_message_bytes: int = 8 << 20
    fetch_deadline_s: float = 60.0
    fetch_read_timeout_s: float = 30.0
    allow_private: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings) -> ProducerLimits:
        allow = tuple(a.strip() for a in settings.fetch_allow_private.split(",") if a.strip())
        return cls(max_item_bytes=settings.max_item_bytes,
                   max_document_bytes=settings.max_document_bytes,
                   max_message_bytes=settings.max_message_bytes,
                   fetch_deadline_s=settings.fetch_deadline_s, allow_private=allow)

    @property
    def dead_letter_budget(self) -> int:
        """Original bytes one dead letter can carry on the DLQ topic."""
        return original_budget(self.max_message_bytes)

    @property
    def refusal_prefix(self) -> int:
        """Bytes of a refused, too-large document kept in its dead letter (with a reference)."""
        return min(64 << 10, self.dead_letter_budget)

    @property
    def line_chunk_bytes(self) -> int:
        """JSON-lines files are split into documents of about this many bytes of whole lines."""
        return max(self.max_item_bytes, min(self.max_document_bytes, 4 << 20))

    @property
    def xml_run_bytes(self) -> int:
        """A feed larger than ``max_document_bytes`` is split into runs of about this many
        bytes of whole items (smaller than JSON-lines runs: a parsed XML run takes several
        times its size in memory)."""
        return max(self.max_item_bytes, min(self.max_document_bytes, 1 << 20))
