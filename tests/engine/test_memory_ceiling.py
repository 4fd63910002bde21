"""Memory stays bounded under a flood of distinct users and unique large strings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
USERS = 100_000
SPAN_DAYS = 365  # the default horizon (30-day baseline + 1 day) keeps about a month of them
CEILING_MB = 200  # without forgetting and with unbounded caches: over 500 MB


def test_100k_distinct_users_with_unique_large_strings_stay_under_a_ceiling() -> None:
    # A child process, so the figure is this workload's peak and nothing else's.
    out = subprocess.run(
        [sys.executable, "-m", "tests.engine.memory_probe", str(USERS), str(SPAN_DAYS), "8000"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=300,
    )
    result = orjson.loads(out.stdout)
    assert result["events"] == USERS  # every user was processed...
    assert result["forgotten"] > USERS * 0.8  # ...and those idle past the horizon forgotten
    assert result["kept"] + result["forgotten"] == USERS
    assert result["peak_rss_mb"] < CEILING_MB, result
