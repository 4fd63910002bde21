"""The HTTP endpoints: /healthz is liveness, /readyz says why the job is not ready."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Any

from prometheus_client import CollectorRegistry

from correlator.metrics import JobMetrics
from correlator.runtime.broker import free_port
from correlator.runtime.runner import Health
from correlator.runtime.service import readiness, serve_health
from tests.ops.conftest import LiveJob


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _runner(*, ready: bool = True, assigned: int = 3, store: Any = None) -> SimpleNamespace:
    metrics = JobMetrics(CollectorRegistry(), process=False)
    worker = SimpleNamespace(stats=SimpleNamespace(assigned=assigned), busy=False)
    health = Health(ready=ready, reason="ok" if ready else "starting")
    return SimpleNamespace(health=health, workers=[worker], metrics=metrics, store=store)


def _broker_stats(runner: SimpleNamespace, state: str) -> None:
    stats = {"brokers": {"b:9092/1": {"nodeid": 1, "state": state}}, "topics": {}}
    runner.metrics.stats_callback("correlate", 1.0)(json.dumps(stats))


def test_live_job_is_alive_and_ready(live_job: LiveJob) -> None:
    assert _get(f"{live_job.url}/healthz") == (200, "ok\n")
    assert _get(f"{live_job.url}/readyz") == (200, "ok\n")
    assert _get(f"{live_job.url}/nothing")[0] == 404
    _, text = _get(f"{live_job.url}/metrics")
    assert "correlator_ready 1.0" in text
    assert "correlator_store_up 1.0" in text  # Redis answers


def test_not_ready_answers_503_with_the_reason() -> None:
    runner = _runner(ready=False)
    server = serve_health(runner, free_port(), host="127.0.0.1")  # type: ignore[arg-type]
    assert server is not None
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert _get(f"{base}/readyz") == (503, "starting\n")
        assert _get(f"{base}/healthz")[0] == 200  # alive while not ready: no restart
        assert "correlator_ready 0.0" in _get(f"{base}/metrics")[1]
    finally:
        server.shutdown()


def test_readiness_reasons() -> None:
    assert readiness(_runner(assigned=0)) == (False, "no_partitions")  # type: ignore[arg-type]
    runner = _runner()
    _broker_stats(runner, "DOWN")
    assert readiness(runner) == (False, "broker_unreachable")  # type: ignore[arg-type]
    _broker_stats(runner, "UP")
    assert readiness(runner) == (True, "ok")  # type: ignore[arg-type]
    down = SimpleNamespace(ping=lambda: False)
    runner = _runner(store=down)
    runner.metrics.track_store(down.ping)
    assert readiness(runner) == (False, "store_unreachable")  # type: ignore[arg-type]
    retrying = _runner()
    retrying.health.ready, retrying.health.reason = False, "correlate: Redis at db.internal failed"
    assert readiness(retrying) == (False, "retrying")  # type: ignore[arg-type]


def test_stale_broker_statistics_mean_not_ready() -> None:
    runner = _runner()
    _broker_stats(runner, "UP")
    runner.metrics._max_age["correlate"] = 0.05  # the loop stopped calling consume()
    time.sleep(0.1)
    assert runner.metrics.broker_problem() is not None
    assert readiness(runner) == (False, "broker_unreachable")  # type: ignore[arg-type]
