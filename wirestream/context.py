"""What the top-level options of ``wirestream`` set for every command of one invocation.

Global flags (``--data-dir``, ``--log-level``, ``--log-json``) are kept here instead of being
written into ``os.environ``, so a command reads them through ``settings()`` and tests can
build a CLI run without leaking into the next one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wirecore.errors import UsageError
from wirecore.settings import Settings, load_settings

_overrides: dict[str, Any] = {}


def set_overrides(**values: Any) -> None:
    """Replace the overrides for this invocation (None values are ignored)."""
    _overrides.clear()
    _overrides.update({k: v for k, v in values.items() if v is not None})


def settings() -> Settings:
    """Settings from env/.env with this invocation's flags on top. A bad value is a usage
    error (exit 2) naming the variable, not a validation traceback."""
    try:
        return load_settings(**_overrides)
    except ValidationError as exc:
        bad = "; ".join(f"WIRESTREAM_{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: {e['msg']}"
                        for e in exc.errors())
        raise UsageError(f"invalid setting: {bad}") from None


def data_dir_override() -> Path | None:
    return _overrides.get("data_dir")
