"""promtool validates the scrape configuration and the alerting rules, and runs their unit tests."""

from __future__ import annotations

import subprocess

from tests.ops.conftest import DEPLOY, tool

PROMETHEUS_DIR = DEPLOY / "prometheus"


def _promtool(*args: str) -> str:
    done = subprocess.run(
        [tool("promtool"), *args],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output


def test_rules_are_valid() -> None:
    assert "SUCCESS: 8 rules found" in _promtool("check", "rules", "correlator-rules.yml")


def test_rules_unit_tests_pass() -> None:
    assert "SUCCESS" in _promtool("test", "rules", "correlator-rules.test.yml")


def test_scrape_config_is_valid() -> None:
    # Also checks the rule file the configuration names, relative to the configuration.
    output = _promtool("check", "config", "prometheus.yml")
    assert "is valid prometheus config file syntax" in output
    assert "1 rule files found" in output
