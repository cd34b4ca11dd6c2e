from datetime import UTC, datetime

import pytest

from wirestream.dashboard.render import ago

NOW = datetime(2026, 1, 24, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-24T16:59:30Z", "just now"),
    ("2026-01-24T16:57:00Z", "3 min ago"),
    ("2026-01-24T14:00:00.000Z", "3 h ago"),
    ("2026-01-23T17:00:00+00:00", "1 day ago"),
    ("2026-01-20 17:00:00", "4 days ago"),
    ("2026-01-24T18:00:00Z", "in the future"),
    (None, "unknown"),
    ("garbage", "unknown"),
])
def test_ago(value, expected):
    assert ago(value, NOW) == expected
