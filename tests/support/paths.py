"""Where the repository, the shared data and the sample page are."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLE_PAGE = SHARED / "data" / "anp-buitenland-page.txt"
SCHEMA_EXAMPLES = REPO / "schemas" / "examples"
