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
from wirecore.settings import Settings, allowed_range, load_settings

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
        raise UsageError(f"invalid setting: {'; '.join(map(_describe, exc.errors()))}") from None


def _describe(error: dict) -> str:
    """``WIRESTREAM_KAFKA_PORT=99999: Input should be … (allowed: 1 to 65534)``."""
    field = "_".join(map(str, error["loc"]))
    line = f"WIRESTREAM_{field.upper()}={error.get('input')!r}: {error['msg']}"
    allowed = allowed_range(field)
    return f"{line} (allowed: {allowed})" if allowed else line


def data_dir_override() -> Path | None:
    return _overrides.get("data_dir")
