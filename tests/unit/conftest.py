"""Unit tests are hermetic: settings come from the test, never the developer's env or .env."""

from __future__ import annotations

import pytest

from tests.support.hermetic import make_hermetic


@pytest.fixture(autouse=True)
def hermetic_settings(monkeypatch, tmp_path) -> None:
    make_hermetic(monkeypatch, tmp_path)
