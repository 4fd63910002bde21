"""`correlator run --workers 2`: two processes in one consumer group, stopped as one."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from correlator.runconfig import RunSettings
from correlator.runtime.broker import free_ports
from correlator.runtime.service import assigned_partitions
from tests.conftest import TopicFactory
from tests.runtime.harness import alerts_of, produce, read_topic, run_settings
from tests.runtime.tenant import Tenant, make_tenant, published_alerts
from tests.runtime.test_process import (
    PARTITIONS,
    command,
    events_committed,
    raw_committed,
    start,
    wait_for,
)


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    return make_tenant(tmp_path_factory.mktemp("tenant"), users=30, days=7, seed=5)


def workers_command(run: RunSettings, bootstrap: str, config: Path, port: int) -> list[str]:
    return [*command(run, bootstrap, config), "--workers", "2", "--metrics-port", str(port)]


def test_two_workers_share_the_group_and_stop_together(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tenant: Tenant,
    redis_namespace: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    run = run_settings(kafka_topics, partitions=PARTITIONS)
    run = RunSettings(**{**run.__dict__, "state": redis_url, "group_id": redis_namespace})
    produced = produce(kafka_bootstrap, tenant.messages(run.topics))
    port, log = free_ports(2), tmp_path / "job.log"
    job = start(
        workers_command(run, kafka_bootstrap, tenant.directory / "correlator.yaml", port), log
    )
    try:
        # Each worker holds some of the raw partitions: one group, two members.
        wait_for(
            lambda: all(assigned_partitions(p, "normalize") > 0 for p in (port, port + 1)),
            90,
            "both workers assigned",
        )
        wait_for(lambda: raw_committed(kafka_bootstrap, run) >= produced, 120, "normalize")
        total_events = len(read_topic(kafka_bootstrap, run.topics.events))
        wait_for(lambda: events_committed(kafka_bootstrap, run) >= total_events, 120, "correlate")
        job.send_signal(signal.SIGTERM)
        assert job.wait(60) == 0, log.read_text()[-3000:]
    finally:
        job.kill()
    assert log.read_text().count("stopped cleanly") == 2
    alerts = alerts_of(read_topic(kafka_bootstrap, run.topics.alerts))
    assert published_alerts(alerts) == tenant.expected_alerts()


def test_a_dead_worker_takes_the_others_down(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tenant: Tenant, tmp_path: Path
) -> None:
    run = run_settings(kafka_topics, partitions=PARTITIONS)
    port, log = free_ports(2), tmp_path / "job.log"
    job = start(
        workers_command(run, kafka_bootstrap, tenant.directory / "correlator.yaml", port), log
    )
    try:
        wait_for(lambda: "worker 1 started" in log.read_text(), 30, "the workers")
        wait_for(lambda: assigned_partitions(port + 1, "normalize") > 0, 90, "worker 1 assigned")
        pids = [int(p) for p in re.findall(r"worker \d started \(pid (\d+)\)", log.read_text())]
        assert len(pids) == 2
        os.kill(pids[1], signal.SIGKILL)
        assert job.wait(60) != 0
    finally:
        job.kill()
    text = log.read_text()
    assert "worker 1 exited with -9: stopping the others" in text
    assert text.count("stopped cleanly") == 1  # worker 0, asked to stop, finished its batch
