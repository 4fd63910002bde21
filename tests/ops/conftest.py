"""Fixtures for the operations tests: the Prometheus tools and one live job on a fresh tenant.

The live job is a real :class:`Runner` (the code `correlator run` drives) on the session
broker and Redis, serving /metrics, /healthz and /readyz on a free loopback port.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from correlator.config import load_settings
from correlator.errors import InvalidRecord
from correlator.normalize import Normalizer, event_order
from correlator.runconfig import RunSettings
from correlator.runtime.broker import free_port
from correlator.runtime.runner import Runner
from correlator.runtime.service import serve_health
from correlator.simulate import SimulationConfig, simulate, write_simulation
from tests.conftest import TopicFactory
from tests.runtime.harness import produce, run_settings
from tests.runtime.tenant import Tenant

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "correlator-rules.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "correlator.json"


def tool(name: str) -> str:
    """Path of a Prometheus binary; fails (never skips) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"'{name}' not found on PATH: install the Debian package 'prometheus' "
            "(apt-get install -y prometheus; .ci/run does it) to run the operations tests"
        )
    return path


def recent_tenant(directory: Path, *, users: int = 20, days: int = 5) -> Tenant:
    """A simulated tenant whose days end at today's midnight (UTC): realistic event-time lag."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    config = SimulationConfig(users=users, days=days, seed=11, start=today - timedelta(days=days))
    sim = simulate(config)
    write_simulation(sim, directory)
    records = [("signins", r) for r in sim.signins] + [("audits", r) for r in sim.audits]
    records += [("tickets", r) for r in sim.tickets] + [("calls", r) for r in sim.calls]
    normalizer, now = Normalizer(max_future_ms=10**12), int(time.time() * 1000)

    def order(item: tuple[str, dict[str, object]]) -> tuple[int, int, str]:
        try:
            return event_order(normalizer.normalize(item[1], now)[0])
        except InvalidRecord:
            return (0, 0, "")

    records.sort(key=order)
    return Tenant(directory, load_settings(directory / "correlator.yaml"), records)


@dataclass
class LiveJob:
    runner: Runner
    run: RunSettings
    tenant: Tenant
    bootstrap: str
    port: int
    produced: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def produce(self, part: slice) -> None:
        self.produced += produce(self.bootstrap, self.tenant.messages(self.run.topics)[part])

    def wait_consumed(self, timeout_s: float = 30.0) -> None:
        """Until the normalize stage committed every raw message produced so far."""
        assert self.runner.normalizer is not None
        deadline = time.monotonic() + timeout_s
        while self.runner.normalizer.stats.committed_messages < self.produced:
            assert time.monotonic() < deadline, "the job did not consume the tenant in time"
            time.sleep(0.2)


@pytest.fixture(scope="package")
def live_job(
    kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveJob]:
    """The job on Redis state, running in a thread; the first half of a tenant consumed."""
    tenant = recent_tenant(tmp_path_factory.mktemp("ops-tenant"))
    topics = TopicFactory(kafka_bootstrap)
    run = run_settings(topics, partitions=3, state=redis_url)
    # Statistics every second so consumer lag and broker states show up within a scrape or two.
    run = dataclasses.replace(run, kafka={**run.kafka, "statistics.interval.ms": "1000"})
    runner = Runner(run, tenant.settings, bootstrap=kafka_bootstrap)
    server = serve_health(runner, free_port(), host="127.0.0.1")
    assert server is not None
    job = LiveJob(runner, run, tenant, kafka_bootstrap, server.server_address[1])
    thread = threading.Thread(target=runner.run_until_stopped, name="live-job", daemon=True)
    thread.start()
    try:
        job.produce(slice(0, len(tenant.records) // 2))
        # A broken record too: the simulated tenant's only refusals are ignored activities,
        # and the dead-letter panels need a dead letter to show.
        job.produced += produce(kafka_bootstrap, [(run.topics.signins, b"{not json")])
        job.wait_consumed()
        yield job
    finally:
        runner.stop_event.set()
        thread.join(30)
        server.shutdown()
        _forget(redis_url, run.group_id)


def _forget(url: str, namespace: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
