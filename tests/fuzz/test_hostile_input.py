"""Fuzz: crafted and mutated records through the stream path, the replay path and the alert
encoder. No exception escapes any of them, both paths give each record the same outcome, and
none takes more than 50 ms per 100 KB (benchmarks/fuzz.py, in CPU time rather than wall-clock
time, which flakes on a shared machine)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlator.alerts.encode import MAX_DESC

from . import paths
from .corpus import CRAFTED, NOW_MS, SEEDS, csv_bodies, mutate

ROOT = Path(__file__).resolve().parents[2]


def check(body: bytes) -> list[bytes]:
    streamed = paths.stream(body, NOW_MS)
    if body.strip(b" \t\r\n\xef\xbb\xbf"):  # an empty message is refused; an empty file is not
        replayed = paths.replay(body, NOW_MS)
        assert paths.same(streamed, replayed), (streamed, replayed)
    produced = paths.alerts(streamed)
    for alert in produced:
        assert len(alert) < 40 * MAX_DESC  # capped fields: an alert stays a few hundred KB
    return produced


@pytest.mark.parametrize("index", range(len(CRAFTED)))
def test_crafted_records(index: int) -> None:
    check(CRAFTED[index])


def test_the_seeds_produce_alerts_so_the_encoder_is_exercised() -> None:
    # The scenario: accepted sign-ins after a primed reset do make findings to encode.
    produced = [alert for body in SEEDS for alert in check(body)]
    assert produced
    assert any(b"\\u001b" in alert for alert in produced)  # escapes travel JSON-encoded


@settings(
    max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.integers(0, len(SEEDS) - 1), st.randoms(use_true_random=False))
def test_mutated_records(seed: int, rng: random.Random) -> None:
    check(mutate(SEEDS[seed], rng))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(0, 1), st.randoms(use_true_random=False))
def test_mutated_csv_downloads(seed: int, rng: random.Random) -> None:
    bodies = csv_bodies()
    body = mutate(bodies[seed % len(bodies)], rng)
    paths.alerts(paths.replay_csv(body, NOW_MS))


def test_alert_text_from_hostile_fields_is_escaped_in_json() -> None:
    hostile = CRAFTED[4]  # the sign-in with terminal escapes in its fields
    produced = check(hostile)
    assert produced  # the scenario: a finding was made from it
    for alert in produced:
        assert b"\x1b" not in alert  # JSON escapes control characters
        orjson.loads(alert)


def test_no_record_takes_more_than_50_ms_per_100_kb() -> None:
    # The seeds, the large bodies (a 1 MB unterminated string, a 4 MB page) and 2,000 mutations;
    # `make bench` runs the same script over 20,000. It exits 1 over the budget.
    run = subprocess.run(
        [sys.executable, "benchmarks/fuzz.py", "--mutations", "2000"],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    figures = orjson.loads(run.stdout.splitlines()[-1])
    assert run.returncode == 0, figures
    assert figures["inputs"] > 2000
    assert figures["slowest_ms_per_100kb"] <= figures["budget_ms_per_100kb"] == 50.0
