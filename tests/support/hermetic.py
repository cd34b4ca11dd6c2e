"""Settings that come from the test alone: not from the developer's shell or ``.env``."""

from __future__ import annotations

import os

import pytest

from wirecore.settings import Settings


def make_hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Drop every ``WIRESTREAM_*`` variable and point the env file at ``/dev/null`` (no
    settings: a ``WIRESTREAM_ENV_FILE`` that does not exist is an error, also in the console
    scripts the tests start, which inherit it).

    ``Settings.model_config["env_file"]`` was read from the environment when the class was
    defined, so it is patched too (pydantic-settings reads it again on every instantiation).
    """
    for name in list(os.environ):
        if name.startswith("WIRESTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("WIRESTREAM_ENV_FILE", os.devnull)
    monkeypatch.setitem(Settings.model_config, "env_file", os.devnull)


def nothing_running_env(tmp_path, **settings: str) -> dict[str, str]:
    """The environment for a console script run by a test: this process's, without any
    ``WIRESTREAM_*`` variable, no env file, a fresh data directory, plus ``settings``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("WIRESTREAM_")}
    return base | {"WIRESTREAM_ENV_FILE": os.devnull, "WIRESTREAM_DATA_DIR": str(tmp_path / "data")} | settings
