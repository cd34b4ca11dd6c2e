"""Settings that come from the test alone: not from the developer's shell or ``.env``."""

from __future__ import annotations

import os

import pytest

from wirecore.settings import Settings


def make_hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Drop every ``WIRESTREAM_*`` variable and point the env file at a file that is not there.

    ``Settings.model_config["env_file"]`` was read from the environment when the class was
    defined, so it is patched too (pydantic-settings reads it again on every instantiation).
    """
    for name in list(os.environ):
        if name.startswith("WIRESTREAM_"):
            monkeypatch.delenv(name)
    missing = str(tmp_path / "no-such.env")
    monkeypatch.setenv("WIRESTREAM_ENV_FILE", missing)
    monkeypatch.setitem(Settings.model_config, "env_file", missing)
