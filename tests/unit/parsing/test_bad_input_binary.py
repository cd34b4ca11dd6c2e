"""Binary input is refused with a reason on both sides (splitter and parser)."""

import pytest

from processors.parsing import parse_raw_item
from producers.formats import split_document
from schemas.models import InvalidItem, RawMeta
from wirecore.text import looks_binary

BLOBS = [bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n" + bytes(200), b"PK\x03\x04" + bytes(range(40)) * 10]


@pytest.mark.parametrize("blob", BLOBS)
def test_binary_is_refused(blob):
    assert looks_binary(blob)
    with pytest.raises(InvalidItem, match="binary"):
        parse_raw_item(blob, RawMeta(source="anp", format="listing", fetched_at="2026-01-24T18:00:00Z"))
    result = split_document(blob, None, source="anp", fetched_at="2026-01-24T18:00:00Z")
    assert not result.items and "binary" in result.errors[0][0]


def test_text_with_tabs_and_accents_is_not_binary():
    assert not looks_binary("MINNEAPOLIS (ANP) -\tDe man is overleden. Oekraïne, café.\r\n".encode())
    assert not looks_binary("Ünïcödé ✓ text".encode("cp1252", "replace"))
