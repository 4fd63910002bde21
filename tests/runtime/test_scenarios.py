"""The stream job on a 300-user, 30-day simulated tenant, each scenario compared with replay.

One tenant serves every scenario (a session fixture). Each test asserts that its scenario
really happened (alerts published before the kill, re-deliveries seen, the outage noticed)
before it compares the final alerts with replay's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory
from tests.runtime.harness import drive, produce, read_topic, run_settings
from tests.runtime.scenario import TABLE_HEAD, Digest, Outcome, compare, replay_digests
from tests.runtime.tenant import Tenant, make_tenant

PARTITIONS = 3


@pytest.fixture(scope="session")
def big_tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    return make_tenant(tmp_path_factory.mktemp("tenant300"), users=300, days=30, seed=7)


@pytest.fixture(scope="session")
def replay_answer(big_tenant: Tenant) -> dict[str, Digest]:
    answer = replay_digests(big_tenant.findings())
    assert sum(1 for severity, _ in answer.values() if severity >= 4) >= 4, "no real attacks"
    return answer


@pytest.fixture(scope="session")
def table(request: pytest.FixtureRequest) -> Iterator[list[Outcome]]:
    rows: list[Outcome] = []
    yield rows
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and rows:
        reporter.write_line("")
        for line in (*TABLE_HEAD, *(r.row() for r in rows)):
            reporter.write_line(line)


def _finish(runner: Runner, produced: int) -> None:
    normalize, correlate = runner.normalizer, runner.correlator
    assert normalize is not None and correlate is not None
    drive(
        runner,
        lambda: (
            normalize.stats.committed_messages >= produced
            and correlate.stats.committed_messages >= sum(normalize.events.values())
        ),
        timeout_s=240,
    )


@pytest.mark.parametrize("state", ["memory", "redis"])
def test_undisturbed(
    state: str,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    big_tenant: Tenant,
    replay_answer: dict[str, Digest],
    table: list[Outcome],
    redis_url: str,
) -> None:
    run = run_settings(kafka_topics, partitions=PARTITIONS, batch_size=500)
    if state == "redis":
        run = run.__class__(**{**run.__dict__, "state": redis_url})
    produced = produce(kafka_bootstrap, big_tenant.messages(run.topics))
    runner = Runner(run, big_tenant.settings, bootstrap=kafka_bootstrap)
    try:
        _finish(runner, produced)
    finally:
        runner.close()
    outcome = compare(
        f"{state} state", replay_answer, read_topic(kafka_bootstrap, run.topics.alerts)
    )
    table.append(outcome)
    dead = read_topic(kafka_bootstrap, run.topics.dlq)
    print(outcome, [dict(m.headers() or [])["correlator.reason"] for m in dead][:20], len(dead))
    assert outcome.equal, outcome
