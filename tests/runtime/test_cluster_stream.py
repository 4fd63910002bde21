"""`correlator run` on Redis Cluster state, with one master killed mid-stream and restarted:
the job waits (no commit without durable state), then finishes with replay's alerts."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from correlator.runconfig import RunSettings
from tests.conftest import TopicFactory
from tests.redis_cluster import Cluster, running_cluster
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
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from running_cluster(tmp_path_factory)


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    return make_tenant(tmp_path_factory.mktemp("tenant"), users=40, days=10, seed=4)


def test_a_master_killed_mid_stream(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tenant: Tenant,
    redis_cluster: Cluster,
    tmp_path: Path,
) -> None:
    run = run_settings(kafka_topics, partitions=PARTITIONS)
    run = RunSettings(**{**run.__dict__, "state": redis_cluster.url, "group_id": "cluster-job"})
    produced = produce(kafka_bootstrap, tenant.messages(run.topics))
    log = tmp_path / "job.log"
    job = start(command(run, kafka_bootstrap, tenant.directory / "correlator.yaml"), log)
    victim = redis_cluster.nodes[2]
    try:
        wait_for(lambda: events_committed(kafka_bootstrap, run) > 100, 90, "a first commit")
        victim.kill()
        killed_at = events_committed(kafka_bootstrap, run)
        time.sleep(3)
        assert job.poll() is None, "the job must wait for the store, not stop"
        stalled = events_committed(kafka_bootstrap, run)
        victim.start()
        redis_cluster.wait_ok()
        wait_for(lambda: raw_committed(kafka_bootstrap, run) >= produced, 120, "normalize")
        total_events = len(read_topic(kafka_bootstrap, run.topics.events))
        wait_for(lambda: events_committed(kafka_bootstrap, run) >= total_events, 120, "correlate")
        job.send_signal(signal.SIGTERM)
        assert job.wait(30) == 0, log.read_text()[-3000:]
    finally:
        job.kill()
        if victim.proc is None:
            victim.start()
    assert killed_at < total_events, "killed too late to prove anything"
    assert stalled < total_events
    text = log.read_text()
    assert "retrying" in text and "without committing" in text
    assert "The cluster is down" in text and "u:{" not in text  # no user, no state bytes
    alerts = alerts_of(read_topic(kafka_bootstrap, run.topics.alerts))
    assert published_alerts(alerts) == tenant.expected_alerts()
