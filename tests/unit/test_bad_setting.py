"""A bad WIRESTREAM_* value is one error line and exit 2 from the console script, not a
validation traceback (run as a user runs it: a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WIRESTREAM = Path(sys.executable).parent / "wirestream"


@pytest.mark.parametrize(("env", "value", "says"), [
    ("WIRESTREAM_WORKER_STAGES", "bogus", "Input should be 'all', 'parse' or 'stories'"),
    ("WIRESTREAM_STORIES_PARTITIONS", "abc", "valid integer"),
])
def test_a_bad_setting_is_a_usage_error(tmp_path, env, value, says):
    run = subprocess.run([str(WIRESTREAM), "status"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ) | {env: value, "WIRESTREAM_DATA_DIR": str(tmp_path)})
    assert run.returncode == 2
    assert f"invalid setting: {env}='{value}'" in run.stderr and says in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
