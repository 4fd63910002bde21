"""The stream job on a 300-user, 30-day simulated tenant, each scenario compared with replay.

One tenant serves every scenario (a session fixture). Each test first asserts that its scenario
really happened (alerts published before the kill, re-deliveries seen, the outage noticed), then
compares the final alerts with replay's: missing, extra, different, re-delivered. The table of
outcomes is printed at the end of the session.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import time
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka import Consumer, TopicPartition

from correlator.config import HOUR_MS
from correlator.runconfig import RunSettings
from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory
from tests.runtime.harness import drive, produce, read_topic, run_settings
from tests.runtime.scenario import TABLE_HEAD, Digest, Outcome, compare, replay_digests
from tests.runtime.tenant import Tenant, make_tenant

PARTITIONS = 3
Answer = dict[str, Digest]


@pytest.fixture(scope="session")
def big_tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    directory = tmp_path_factory.mktemp("tenant300")
    return make_tenant(directory, users=300, days=30, seed=7, attacks=16)


@pytest.fixture(scope="session")
def replay_answer(big_tenant: Tenant) -> Answer:
    answer = replay_digests(big_tenant.findings())
    assert sum(1 for severity, _ in answer.values() if severity >= 4) >= 8, "no real attacks"
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


def settings(topics: TopicFactory, **changes: object) -> RunSettings:
    run = run_settings(topics, partitions=PARTITIONS, batch_size=500)
    return dataclasses.replace(run, **changes)  # type: ignore[arg-type]


def finished(runner: Runner, produced: int) -> Callable[[], bool]:
    normalize, correlate = runner.normalizer, runner.correlator
    assert normalize is not None and correlate is not None
    return lambda: (
        normalize.stats.committed_messages >= produced
        and correlate.stats.committed_messages >= sum(normalize.events.values())
    )


def dead_reasons(bootstrap: str, run: RunSettings) -> dict[str, int]:
    reasons: dict[str, int] = {}
    for message in read_topic(bootstrap, run.topics.dlq, idle_s=0.5):
        reason = dict(message.headers() or [])["correlator.reason"].decode()
        reasons[reason] = reasons.get(reason, 0) + 1
    return reasons


def record(table: list[Outcome], outcome: Outcome) -> Outcome:
    table.append(outcome)
    return outcome


def count(bootstrap: str, topic: str) -> int:
    """Messages on ``topic`` (the sum of its partitions' high watermarks)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"count-{time.time_ns()}"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        marks = [consumer.get_watermark_offsets(TopicPartition(topic, p), 10) for p in partitions]
        return sum(high for _, high in marks)
    finally:
        consumer.close()


# -- undisturbed ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["memory", "redis"])
def test_undisturbed(
    state: str,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    big_tenant: Tenant,
    replay_answer: Answer,
    table: list[Outcome],
    request: pytest.FixtureRequest,
) -> None:
    run = settings(kafka_topics)
    if state == "redis":
        namespace = request.getfixturevalue("redis_namespace")
        run = dataclasses.replace(
            run, state=request.getfixturevalue("redis_url"), group_id=namespace
        )
    produced = produce(kafka_bootstrap, big_tenant.messages(run.topics))
    runner = Runner(run, big_tenant.settings, bootstrap=kafka_bootstrap)
    try:
        drive(runner, finished(runner, produced), timeout_s=240)
    finally:
        runner.close()
    alerts = read_topic(kafka_bootstrap, run.topics.alerts)
    outcome = record(table, compare(f"{state} state", replay_answer, alerts))
    assert outcome.equal, (outcome, dead_reasons(kafka_bootstrap, run))


# -- arrival order ----------------------------------------------------------------------------


@pytest.mark.parametrize("first", ["signins", "audits"])
def test_file_after_file(
    first: str,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    big_tenant: Tenant,
    replay_answer: Answer,
    table: list[Outcome],
) -> None:
    """The backlog lands one topic after another before the job reads it (the compose stack's
    producer, a catch-up after an outage): alignment reads it back in event-time order."""
    run = settings(kafka_topics)
    produced = produce(kafka_bootstrap, big_tenant.messages(run.topics, big_tenant.by_file(first)))
    runner = Runner(run, big_tenant.settings, bootstrap=kafka_bootstrap)
    normalize = runner.normalizer
    assert normalize is not None and normalize.alignment is not None
    try:
        drive(runner, finished(runner, produced), timeout_s=240)
    finally:
        runner.close()
    assert normalize.alignment.pauses > 0, "the topics were never read out of step"
    alerts = read_topic(kafka_bootstrap, run.topics.alerts)
    outcome = record(table, compare(f"{first} file first", replay_answer, alerts))
    assert outcome.equal, (outcome, dead_reasons(kafka_bootstrap, run))


def test_random_partition_lag_within_the_bound(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    big_tenant: Tenant,
    replay_answer: Answer,
    table: list[Outcome],
) -> None:
    """A live feed where each raw partition lags by its own random delay (up to 10 h), fed in
    12-hour slices of arrival time: every record reaches the engine within the 24 h bound."""
    run = settings(kafka_topics)
    dice = random.Random(13)
    lag = {(t, p): dice.randrange(10 * HOUR_MS) for t in run.topics.raw for p in range(PARTITIONS)}
    messages, times = big_tenant.messages(run.topics), big_tenant.times
    arrive = [
        t + lag[(m[0], sum(m[2] or b"") % PARTITIONS)]
        for m, t in zip(messages, times, strict=False)
    ]
    order = sorted(range(len(messages)), key=arrive.__getitem__)
    assert any(times[a] > times[b] for a, b in itertools.pairwise(order)), "nothing arrived late"
    slices: dict[int, list[int]] = {}
    for i in order:
        slices.setdefault(arrive[i] // (12 * HOUR_MS), []).append(i)
    runner = Runner(run, big_tenant.settings, bootstrap=kafka_bootstrap)
    produced = 0
    try:
        for _, members in sorted(slices.items()):
            produced += produce(kafka_bootstrap, [messages[i] for i in members])
            drive(runner, finished(runner, produced), timeout_s=60)
    finally:
        runner.close()
    alerts = read_topic(kafka_bootstrap, run.topics.alerts)
    outcome = record(table, compare("random lag per partition", replay_answer, alerts))
    assert outcome.equal, (outcome, dead_reasons(kafka_bootstrap, run))
