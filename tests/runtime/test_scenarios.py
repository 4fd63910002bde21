"""The stream job on a 300-user, 30-day simulated tenant, each scenario compared with replay.

One tenant serves every scenario (a session fixture). Each test first asserts that its scenario
really happened (alerts published before the kill, re-deliveries seen, the outage noticed), then
compares the final alerts with replay's: missing, extra, different, re-delivered. The table of
outcomes is printed at the end of the session.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from correlator.config import HOUR_MS
from correlator.runconfig import RunSettings
from correlator.runtime.broker import EmbeddedBroker, free_port, messages_on
from correlator.runtime.runner import Runner
from correlator.runtime.service import assigned_partitions, readiness
from tests.conftest import RedisServer, TopicFactory
from tests.runtime.harness import (
    committed,
    drive,
    produce,
    read_topic,
    run_settings,
)
from tests.runtime.scenario import OUTCOMES, Digest, Outcome, compare, replay_digests
from tests.runtime.tenant import Tenant, make_tenant
from tests.runtime.test_process import command, start, wait_for
from tests.support.proxy import CuttableProxy
from tests.support.redis_gate import RedisWriteGate

PARTITIONS = 3
TENANT_VARIABLE = "SCENARIO_TENANT"
OUTAGE_S = 60
Answer = dict[str, Digest]


@pytest.fixture(scope="session")
def big_tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    """300 users over 30 days with 16 attacks; ``SCENARIO_TENANT=users,days,seed,attacks``
    runs the same scenarios on another tenant."""
    users, days, seed, attacks = (
        int(v) for v in os.environ.get(TENANT_VARIABLE, "300,30,7,16").split(",")
    )
    directory = tmp_path_factory.mktemp(f"tenant{users}")
    return make_tenant(directory, users=users, days=days, seed=seed, attacks=attacks)


@pytest.fixture(scope="session")
def replay_answer(big_tenant: Tenant) -> Answer:
    answer = replay_digests(big_tenant.findings())
    assert sum(1 for severity, _ in answer.values() if severity >= 4) >= 8, "no real attacks"
    return answer


@pytest.fixture(scope="session")
def table() -> list[Outcome]:
    return OUTCOMES  # printed by tests/runtime/conftest.py at the end of the session


def settings(topics: TopicFactory, **changes: object) -> RunSettings:
    run = run_settings(topics, partitions=PARTITIONS, batch_size=500)
    return dataclasses.replace(run, **changes)  # type: ignore[arg-type]


def finished(runner: Runner, produced: int) -> Callable[[], bool]:
    """Every raw record committed, and every message on the events and keyed topics committed
    by the stage that reads it.

    Counted on the broker, not from the stages' counters: after a failed delivery a batch's
    events are produced again, so what was produced says little about what the topic holds.
    """
    normalize, run, bootstrap = runner.normalizer, runner.run, runner.bootstrap
    assert normalize is not None

    def done() -> bool:
        if normalize.stats.committed_messages < produced or job_raw(bootstrap, run) < produced:
            return False
        return downstream_done(bootstrap, run, run.group_id)

    return done


def downstream_done(bootstrap: str, run: RunSettings, group: str, last: str = "keyed") -> bool:
    """The correlate stage has committed the whole events topic, then (unless ``last`` is
    correlate) the keyed stage the whole keyed topic, counted after the first: correlate
    forwards before it commits."""
    events = messages_on(bootstrap, run.topics.events)
    if committed(bootstrap, f"{group}.correlate", run.topics.events, PARTITIONS) < events:
        return False
    if last == "correlate":
        return True
    keyed = messages_on(bootstrap, run.topics.keyed)
    return committed(bootstrap, f"{group}.keyed", run.topics.keyed, PARTITIONS) >= keyed


def dead_reasons(bootstrap: str, run: RunSettings) -> dict[str, int]:
    reasons: dict[str, int] = {}
    for message in read_topic(bootstrap, run.topics.dlq, idle_s=0.5):
        reason = dict(message.headers() or [])["correlator.reason"].decode()
        reasons[reason] = reasons.get(reason, 0) + 1
    return reasons


def record(table: list[Outcome], outcome: Outcome) -> Outcome:
    table.append(outcome)
    return outcome


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
    assert outcome.equal, f"{outcome}\ndead letters: {dead_reasons(kafka_bootstrap, run)}"


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
    assert normalize.alignment.waited > 0, "the topics were never read out of step"
    alerts = read_topic(kafka_bootstrap, run.topics.alerts)
    outcome = record(table, compare(f"{first} file first", replay_answer, alerts))
    assert outcome.equal, f"{outcome}\ndead letters: {dead_reasons(kafka_bootstrap, run)}"


def test_random_partition_lag_within_the_bound(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    big_tenant: Tenant,
    replay_answer: Answer,
    table: list[Outcome],
) -> None:
    """A live feed where each raw partition lags by its own random delay (up to 4 h), fed in
    19-hour slices of arrival time: every record reaches the engine within the 24 h bound."""
    run = settings(kafka_topics)
    dice = random.Random(13)
    lag = {(t, p): dice.randrange(4 * HOUR_MS) for t in run.topics.raw for p in range(PARTITIONS)}
    messages, times = big_tenant.messages(run.topics), big_tenant.times
    arrive = [
        t + lag[(m[0], sum(m[2] or b"") % PARTITIONS)]
        for m, t in zip(messages, times, strict=False)
    ]
    order = sorted(range(len(messages)), key=arrive.__getitem__)
    assert any(times[a] > times[b] for a, b in itertools.pairwise(order)), "nothing arrived late"
    slices: dict[int, list[int]] = {}
    for i in order:
        slices.setdefault(arrive[i] // (19 * HOUR_MS), []).append(i)
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
    assert outcome.equal, f"{outcome}\ndead letters: {dead_reasons(kafka_bootstrap, run)}"


# -- failures ---------------------------------------------------------------------------------


def job_done(bootstrap: str, run: RunSettings, produced: int) -> bool:
    """Every raw record committed by normalize, and every downstream message by its stage."""
    group = run.group_id
    raw = sum(committed(bootstrap, f"{group}.normalize", t, PARTITIONS) for t in run.topics.raw)
    if raw < produced:
        return False
    return downstream_done(bootstrap, run, group)


def stop_job(job: subprocess.Popen[bytes], log: Path) -> None:
    job.send_signal(signal.SIGTERM)
    assert job.wait(60) == 0, log.read_text()[-3000:]


def test_redis_sigkill_after_alerts_redelivers_identical_alerts(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    big_tenant: Tenant,
    replay_answer: Answer,
    table: list[Outcome],
    redis_server_factory: Callable[[], RedisServer],
    tmp_path: Path,
) -> None:
    """Alerts are published, then the job is killed before it commits them: the restart must
    publish them again, byte for byte, and lose nothing. To kill at that moment for certain, a
    proxy in front of Redis holds the state transaction of a batch whose alerts went out."""
    server = redis_server_factory()
    seen = [0]

    def second_batch_with_alerts() -> bool:
        """True at the state write of the second batch that published alerts (mid-stream)."""
        now = messages_on(kafka_bootstrap, run.topics.alerts)
        before, seen[0] = seen[0], now
        return before > 0 and now > before

    gate = RedisWriteGate(free_port(), ("127.0.0.1", server.port), second_batch_with_alerts)
    gate.start()
    run = settings(kafka_topics, state=gate.url)
    produced = produce(kafka_bootstrap, big_tenant.messages(run.topics))
    config = big_tenant.directory / "correlator.yaml"
    args, log = [*command(run, kafka_bootstrap, config), "--batch-size", "2000"], tmp_path / "job"
    first = start(args, log)
    try:
        # Each batch's alerts are flushed before its state transaction, which comes before
        # its commit: the gate holds the transaction of a batch that published alerts.
        wait_for(gate.held.is_set, 240, "a batch with alerts to reach its state write")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
        gate.release()
    assert not job_done(kafka_bootstrap, run, produced), "killed too late to prove anything"
    second = start(args, log)
    try:
        wait_for(lambda: job_done(kafka_bootstrap, run, produced), 240, "the restarted job")
        stop_job(second, log)
    finally:
        second.kill()
        gate.stop()
    alerts = read_topic(kafka_bootstrap, run.topics.alerts)
    outcome = record(table, compare("Redis, SIGKILL after alerts", replay_answer, alerts))
    assert outcome.redelivered > 0, "the restart re-delivered nothing"
    assert outcome.equal, f"{outcome}\ndead letters: {dead_reasons(kafka_bootstrap, run)}"


def test_two_workers_one_killed_mid_stream(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    big_tenant: Tenant,
    replay_answer: Answer,
    table: list[Outcome],
    redis_url: str,
    redis_namespace: str,
    tmp_path: Path,
) -> None:
    run = settings(kafka_topics, state=redis_url, group_id=redis_namespace)
    produced = produce(kafka_bootstrap, big_tenant.messages(run.topics))
    config = big_tenant.directory / "correlator.yaml"
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"job{i}" for i in range(2)]
    jobs = [
        start([*command(run, kafka_bootstrap, config), "--metrics-port", str(port)], log)
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        wait_for(
            lambda: all(assigned_partitions(p, "correlate") > 0 for p in ports),
            90,
            "both workers to hold events",
        )
        wait_for(lambda: messages_on(kafka_bootstrap, run.topics.alerts) > 0, 120, "a first alert")
        assert all(job.poll() is None for job in jobs)
        jobs[0].send_signal(signal.SIGKILL)
        jobs[0].wait(10)
        assert not job_done(kafka_bootstrap, run, produced), "killed too late to prove anything"
        wait_for(lambda: job_done(kafka_bootstrap, run, produced), 480, "the surviving worker")
        assert assigned_partitions(ports[1], "correlate") == PARTITIONS, (
            "the survivor did not take the partitions over"
        )
        stop_job(jobs[1], logs[1])
    finally:
        for job in jobs:
            job.kill()
    alerts = read_topic(kafka_bootstrap, run.topics.alerts)
    outcome = record(table, compare("two workers, one SIGKILLed", replay_answer, alerts))
    assert outcome.equal, f"{outcome}\ndead letters: {dead_reasons(kafka_bootstrap, run)}"


def _run(runner: Runner, errors: list[BaseException]) -> None:
    try:
        runner.run_until_stopped()
    except BaseException as exc:  # noqa: BLE001 - the test asserts there was none
        errors.append(exc)


def test_broker_down_for_60_s(
    big_tenant: Tenant,
    replay_answer: Answer,
    table: list[Outcome],
    redis_url: str,
    redis_namespace: str,
    tmp_path: Path,
) -> None:
    """Clients cut off from the broker for 60 s (a proxy drops every connection and refuses
    new ones; the broker keeps its data): sessions expire and commits fail, the job reports
    not ready within seconds, never exits, and resumes from the committed offsets."""
    proxy_port = free_port()
    broker = EmbeddedBroker(advertised_port=proxy_port, log_path=tmp_path / "tansu.log")
    proxy = CuttableProxy(proxy_port, ("127.0.0.1", broker.port))
    proxy.start()
    broker.start()
    bootstrap = f"127.0.0.1:{proxy_port}"
    run = settings(TopicFactory(bootstrap), state=redis_url, group_id=redis_namespace)
    produced = produce(bootstrap, big_tenant.messages(run.topics))
    runner = Runner(run, big_tenant.settings, bootstrap=bootstrap)
    errors: list[BaseException] = []
    normalize = runner.normalizer
    assert normalize is not None
    # Cut mid-stream and mid-batch, whatever the job's speed: once a third of the raw records
    # is committed, the connections drop as the next batch is handled, so its events are sent
    # into the outage. (Cut from outside, a job that has caught up with its fetches can be
    # idle at that moment, and an idle job has nothing to retry.)
    third, cut_at = produced // 3, 0.0
    handle = normalize.handle

    def handle_into_the_outage(batch: list[Any], prepared: list[Any]) -> None:
        nonlocal cut_at
        if not cut_at and normalize.stats.committed_messages >= third and readiness(runner)[0]:
            proxy.cut()
            cut_at = time.monotonic()
        handle(batch, prepared)

    normalize.handle = handle_into_the_outage  # type: ignore[method-assign]
    thread = threading.Thread(target=_run, args=(runner, errors), daemon=True)
    thread.start()
    try:
        wait_for(lambda: bool(cut_at), 120, "a third read, then a batch to cut")
        wait_for(lambda: not readiness(runner)[0], 30, "/readyz to report the outage")
        noticed_s = time.monotonic() - cut_at
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - cut_at)))
        assert thread.is_alive() and not errors, errors
        assert not readiness(runner)[0]
        proxy.restore()
        done = finished(runner, produced)
        wait_for(lambda: bool(errors) or done(), 240, "the job to catch up")
        assert not errors, errors
        wait_for(lambda: readiness(runner)[0], 60, "/readyz to recover")
        alerts = read_topic(bootstrap, run.topics.alerts)
    finally:
        runner.stop_event.set()
        thread.join(60)
        proxy.stop()
        broker.stop()
    assert not errors, errors
    assert noticed_s < 15
    retried = runner.health.retries
    outcome = compare(
        "broker down 60 s", replay_answer, alerts, note=f"not ready {noticed_s:.0f} s after"
    )
    record(table, outcome)
    assert retried > 0, "the outage never reached the job"
    assert outcome.equal, str(outcome)


def test_redis_restarted_empty_stops_commits_until_state_is_rebuilt(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    big_tenant: Tenant,
    replay_answer: Answer,
    table: list[Outcome],
    redis_server_factory: Callable[[], RedisServer],
) -> None:
    """Redis killed and restarted without its data mid-stream: the job must notice (marker),
    commit nothing more and say why; a restart must refuse too. Rebuilding as the README says
    (the correlate stage under a new group, from the start of the events topic) then gives
    replay's alerts."""
    server = redis_server_factory()
    run = settings(kafka_topics, state=server.url)
    produced = produce(kafka_bootstrap, big_tenant.messages(run.topics))
    runner = Runner(run, big_tenant.settings, bootstrap=kafka_bootstrap)
    correlate = runner.correlator
    assert correlate is not None
    try:
        drive(runner, lambda: sum(correlate.alerts.values()) > 0, timeout_s=120)
        server.stop()
        server.start()  # the same address, no data
        commits = correlate.stats.commits
        deadline = time.monotonic() + 30
        while "wiped" not in runner.health.reason and time.monotonic() < deadline:
            runner.step()
        assert "wiped" in runner.health.reason, runner.health.reason
        for _ in range(3):
            runner.step()
        assert not readiness(runner)[0] and correlate.stats.commits == commits
    finally:
        runner.close()
    before = compare(
        "(before the rebuild)", replay_answer, read_topic(kafka_bootstrap, run.topics.alerts)
    )
    # Stopped mid-stream, an alert may stand at an earlier revision than replay's last; what
    # wiped state would add is what replay never says: a finding, a severity or an evidence.
    assert not before.extra, before
    beyond = {
        uid: (want, got)
        for uid, (want, got) in before.details.items()
        if got[0] > want[0] or not set(got[1]) <= set(want[1])
    }
    assert not beyond, f"beyond replay's answer before the rebuild: {beyond}"

    again = Runner(run, big_tenant.settings, bootstrap=kafka_bootstrap)
    try:
        deadline = time.monotonic() + 60
        while "committed offsets" not in again.health.reason and time.monotonic() < deadline:
            again.step()
        assert "committed offsets" in again.health.reason, again.health.reason
    finally:
        again.close()

    # Rebuild: let normalize finish, then correlate everything under a fresh group, then the
    # keyed stage under it from the start of the keyed topic (what the rebuild forwarded again
    # is recognised by id; what the old run forwarded beyond a key's horizon is refused).
    normalize = Runner(
        dataclasses.replace(run, stage="normalize"), big_tenant.settings, bootstrap=kafka_bootstrap
    )
    try:
        drive(normalize, lambda: job_raw(kafka_bootstrap, run) >= produced, timeout_s=120)
    finally:
        normalize.close()
    group = kafka_topics.group("rebuilt")
    for stage in ("correlate", "keyed"):
        rebuild = Runner(
            dataclasses.replace(run, stage=stage, group_id=group),
            big_tenant.settings,
            bootstrap=kafka_bootstrap,
        )
        try:
            drive(
                rebuild,
                lambda: downstream_done(kafka_bootstrap, run, group, last=stage),  # noqa: B023
                timeout_s=240,
            )
        finally:
            rebuild.close()
    alerts = read_topic(kafka_bootstrap, run.topics.alerts)
    outcome = compare(
        "Redis restarted empty, then rebuilt",
        replay_answer,
        alerts,
        note="halted, no commits, until rebuilt",
    )
    record(table, outcome)
    assert outcome.equal, str(outcome)


def job_raw(bootstrap: str, run: RunSettings) -> int:
    group = f"{run.group_id}.normalize"
    return sum(committed(bootstrap, group, t, PARTITIONS) for t in run.topics.raw)
