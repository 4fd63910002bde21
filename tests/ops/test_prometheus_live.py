"""The real Prometheus server scrapes the live job: every dashboard query returns data.

Prometheus runs on a free loopback port with a temporary TSDB and a generated configuration
(1 s scrapes of the job's /metrics, the repository's alerting rules). Half the tenant is
consumed before Prometheus starts and half after, so the rates cover real traffic.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from correlator.metrics import STATE_TTL_S
from correlator.runtime.broker import free_port
from tests.ops.conftest import DASHBOARD, RULES, LiveJob, tool
from tests.ops.dashboard import dashboard_queries

# Grafana's built-in variables, as Grafana would expand them for a short range at 1 s scrapes.
GRAFANA_VARIABLES = {"$__rate_interval": "15s", "$__range": "5m", "$__interval": "1s"}
QUERY_DEADLINE_S = 30.0


def _get(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class Prometheus:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = _get(f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert answer["status"] == "success", f"{expr}: {answer}"
        return list(answer["data"]["result"])

    def wait_ready(self, proc: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert proc.poll() is None, "prometheus exited at start-up (see its log)"
            try:
                with urllib.request.urlopen(f"{self.base}/-/ready", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("prometheus did not become ready")


@pytest.fixture
def prometheus(live_job: LiveJob, tmp_path: Path) -> Iterator[Prometheus]:
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "correlator",
                "static_configs": [{"targets": [f"127.0.0.1:{live_job.port}"]}],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        server = Prometheus(port)
        server.wait_ready(proc)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _expand(expr: str) -> str:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, f"unexpanded dashboard variable in {expr}"
    return expr


def _wait_for_data(server: Prometheus, exprs: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Query until every expression answers with at least one series, or the deadline passes."""
    results: dict[str, list[dict[str, Any]]] = {}
    deadline = time.monotonic() + QUERY_DEADLINE_S
    while True:
        results = {e: server.query(e) for e in exprs}
        if all(results.values()) or time.monotonic() > deadline:
            return results
        time.sleep(1)


def test_every_dashboard_query_returns_data(live_job: LiveJob, prometheus: Prometheus) -> None:
    _wait_for_data(prometheus, ['up{job="correlator"} == 1'])
    live_job.produce(slice(len(live_job.tenant.records) // 2, None))
    live_job.wait_consumed()
    exprs = [_expand(q.expr) for q in dashboard_queries(json.loads(DASHBOARD.read_text()))]
    assert len(exprs) >= 30
    results = _wait_for_data(prometheus, exprs)
    empty = [e for e, series in results.items() if not series]
    assert not empty, f"dashboard queries without data: {empty}"
    # The totals Prometheus holds are what the job did.
    raw = prometheus.query('sum(correlator_committed_messages_total{stage="normalize"})')
    assert float(raw[0]["value"][1]) == live_job.produced
    created = prometheus.query('sum(correlator_findings_total{activity="create"})')
    assert float(created[0]["value"][1]) >= 1
    # The store is counted at most every STATE_TTL_S (a SCAN of the keyspace): a count taken as
    # the job started reads 0 until then.
    deadline = time.monotonic() + STATE_TTL_S + QUERY_DEADLINE_S
    while not prometheus.query("sum(correlator_state_users) > 0"):
        assert time.monotonic() < deadline, "the store's users were never counted"
        time.sleep(1)
    _report(prometheus, results)


def test_alerting_rules_load(prometheus: Prometheus) -> None:
    answer = _get(f"{prometheus.base}/api/v1/rules")
    groups = answer["data"]["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    expected = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert set(rules) == expected
    time.sleep(2)  # one evaluation at 1 s: errors in an expression show up as rule health
    answer = _get(f"{prometheus.base}/api/v1/rules")
    health = {r["name"]: r["health"] for g in answer["data"]["groups"] for r in g["rules"]}
    assert set(health.values()) <= {"ok", "unknown"}, health


def _report(server: Prometheus, results: dict[str, list[dict[str, Any]]]) -> None:
    """What Prometheus saw, for the closing note of the issue (pytest -s shows it)."""
    lines = [f"{len(results)} dashboard queries, all with data"]
    for expr in (
        "sum(correlator_records_consumed_total)",
        "sum by (stage) (correlator_committed_messages_total)",
        "sum by (kind) (correlator_events_total)",
        "sum by (reason) (correlator_rejected_records_total)",
        "sum by (rule, severity, activity) (correlator_findings_total)",
        "sum(correlator_join_matches_total)",
        "sum(correlator_state_users)",
        "sum(correlator_state_bytes)",
        "sum(correlator_consumer_lag_messages)",
        "histogram_quantile(0.5, sum by (le) (correlator_event_time_lag_seconds_bucket))",
        "min(correlator_ready)",
        "sum by (stage) (correlator_commits_total)",
    ):
        shown = [(s["metric"], s["value"][1]) for s in server.query(expr)]
        lines.append(f"{expr} = {shown}")
    print("\n".join(lines))
