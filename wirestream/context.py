"""What the top-level options of ``wirestream`` set for every command of one invocation.

Global flags (``--data-dir``, ``--log-level``, ``--log-json``) are kept here instead of being
written into ``os.environ``, so a command reads them through ``settings()`` and tests can
build a CLI run without leaking into the next one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wirecore.settings import Settings, load_settings

_overrides: dict[str, Any] = {}


def set_overrides(**values: Any) -> None:
    """Replace the overrides for this invocation (None values are ignored)."""
    _overrides.clear()
    _overrides.update({k: v for k, v in values.items() if v is not None})


def settings() -> Settings:
    """Settings from env/.env with this invocation's flags on top."""
    return load_settings(**_overrides)


def data_dir_override() -> Path | None:
    return _overrides.get("data_dir")
