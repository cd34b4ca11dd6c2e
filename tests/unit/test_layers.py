"""The import-layer contract (pyproject.toml, import-linter) holds, and it would catch an
upward import: a copy of the packages with ``wirecore`` importing the CLI must fail it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO

PACKAGES = ("wirestream", "producers", "processors", "wirecore", "schemas")
LINT = Path(sys.executable).with_name("lint-imports")


def run_contract(root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_tree_keeps_its_layers():
    done = run_contract(REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_upward_import_breaks_the_contract(tmp_path):
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "wirecore" / "retry.py", "a") as fh:
        fh.write("\nfrom wirestream import cli  # noqa: E402,F401 - the deliberate upward import\n")
    done = run_contract(tmp_path)
    assert done.returncode != 0
    assert "wirecore is not allowed to import wirestream" in done.stdout
