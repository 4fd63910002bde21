"""The stream job against a real broker (and Redis): the same alerts as replay, whatever happens.

Alerts are compared as the final version of each published finding (uid → severity), Medium and
above, which is what a SIEM ends up holding.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

import orjson
import pytest

from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory
from tests.runtime.harness import alerts_of, drive, produce, read_topic, run_settings
from tests.runtime.tenant import Tenant, make_tenant, published_alerts


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    return make_tenant(tmp_path_factory.mktemp("tenant"))


def _consumed(runner: Runner) -> tuple[int, int, int]:
    """Raw messages committed, messages published for the next stages, and committed by them."""
    assert runner.normalizer is not None and runner.correlator is not None
    assert runner.keyed is not None
    raw = runner.normalizer.stats.committed_messages
    published = sum(runner.normalizer.events.values()) + runner.correlator.forwarded
    done = runner.correlator.stats.committed_messages + runner.keyed.stats.committed_messages
    return raw, published, done


def test_stream_alerts_equal_replay(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tenant: Tenant
) -> None:
    expected = tenant.expected_alerts()
    assert sorted(expected.values()).count(4) >= 2  # the tenant holds real attacks
    run = run_settings(kafka_topics, partitions=3)
    produced = produce(kafka_bootstrap, tenant.messages(run.topics))
    runner = Runner(run, tenant.settings, bootstrap=kafka_bootstrap)
    try:
        drive(
            runner,
            lambda: (
                _consumed(runner)[0] >= produced and _consumed(runner)[2] >= _consumed(runner)[1]
            ),
        )
    finally:
        runner.close()
    messages = read_topic(kafka_bootstrap, run.topics.alerts)
    assert published_alerts(alerts_of(messages)) == expected
    # Keyed by user, so one user's alerts stay in order on one partition; a keyed rule's
    # finding by its key (the number, the agent), which stays put while its user may change.
    keys: dict[str, set[str]] = {}
    for message in messages:
        alert = orjson.loads(message.value() or b"{}")
        key = (message.key() or b"").decode()
        keys.setdefault(alert["finding_info"]["uid"], set()).add(key)
        users = {o["value"] for o in alert["observables"] if o["type_id"] == 4}
        assert key in users or key.startswith(("number:", "agent:", "tenant:")), key
    assert all(len(found) == 1 for found in keys.values())


def test_two_workers_publish_what_one_publishes(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tenant: Tenant,
    redis_url: str,
    redis_namespace: str,
) -> None:
    run = run_settings(kafka_topics, partitions=4)
    run = dataclasses.replace(run, state=redis_url, group_id=redis_namespace)
    produced = produce(kafka_bootstrap, tenant.messages(run.topics))
    stop = threading.Event()
    runners = [Runner(run, tenant.settings, bootstrap=kafka_bootstrap, stop=stop) for _ in range(2)]
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_run, args=(r, errors), daemon=True) for r in runners]
    for thread in threads:
        thread.start()
    try:
        deadline = _wait(
            lambda: (
                bool(errors)
                or (
                    sum(_consumed(r)[0] for r in runners) >= produced
                    and sum(_consumed(r)[2] for r in runners)
                    >= sum(_consumed(r)[1] for r in runners)
                )
            )
        )
        assert deadline and not errors, ("the two workers did not finish", errors)
        # Both really took part: the partitions were split between them.
        assert all(_consumed(r)[0] > 0 for r in runners)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not any(t.is_alive() for t in threads) and not errors, errors
    alerts = alerts_of(read_topic(kafka_bootstrap, run.topics.alerts))
    assert published_alerts(alerts) == tenant.expected_alerts()


def _run(runner: Runner, errors: list[BaseException]) -> None:
    try:
        runner.run_until_stopped()
    except BaseException as exc:  # noqa: BLE001 - the test asserts there was none
        errors.append(exc)


def test_memory_state_losses_in_a_rebalance_are_counted(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tenant: Tenant
) -> None:
    """Memory state is one worker's: a second member takes partitions, and the first says so."""
    run = dataclasses.replace(run_settings(kafka_topics, partitions=4), stage="correlate")
    first = Runner(run, tenant.settings, bootstrap=kafka_bootstrap)
    second: Runner | None = None
    try:
        a = first.correlator
        assert a is not None
        drive(first, lambda: a.stats.assigned == 4, timeout_s=30)
        second = Runner(run, tenant.settings, bootstrap=kafka_bootstrap)
        b = second.correlator
        assert b is not None
        deadline = time.monotonic() + 60
        while not (a.stats.assigned and b.stats.assigned) and time.monotonic() < deadline:
            first.step()
            second.step()
        assert a.stats.assigned + b.stats.assigned == 4 and b.stats.assigned > 0
        assert a.partitions_lost == b.stats.assigned
    finally:
        first.close()
        if second is not None:
            second.close()


def _wait(condition: Callable[[], bool], timeout_s: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            time.sleep(1.0)  # let the last batches commit
            return True
        time.sleep(0.2)
    return False


def _correlate_all(runner: Runner, total: int) -> None:
    correlate = runner.correlator
    assert correlate is not None
    drive(runner, lambda: correlate.stats.committed_messages >= total)


def test_redis_outage_stops_commits_and_resumes_without_loss(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tenant: Tenant,
    redis_server_factory: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The correlate stage over one events topic, once undisturbed (memory state) and once with
    its Redis frozen mid-stream: the outage must change nothing. (Normalizing first keeps the
    events' order fixed, so any difference is the outage's doing.)"""
    caplog.set_level(logging.INFO, logger="correlator.runtime.runner")
    server = redis_server_factory()  # type: ignore[operator]
    run = run_settings(kafka_topics, partitions=2)
    normalize = Runner(
        dataclasses.replace(run, stage="normalize"), tenant.settings, bootstrap=kafka_bootstrap
    )
    produced = produce(kafka_bootstrap, tenant.messages(run.topics))
    try:
        assert normalize.normalizer is not None
        drive(normalize, lambda: normalize.normalizer.stats.committed_messages >= produced)
        total = sum(normalize.normalizer.events.values())
    finally:
        normalize.close()

    calm_topics = dataclasses.replace(run.topics, alerts=kafka_topics("alerts-calm", 2))
    calm = Runner(
        dataclasses.replace(
            run, stage="correlate", topics=calm_topics, group_id=kafka_topics.group("calm")
        ),
        tenant.settings,
        bootstrap=kafka_bootstrap,
    )
    try:
        _correlate_all(calm, total)
    finally:
        calm.close()

    stormy = Runner(
        dataclasses.replace(run, stage="correlate", state=server.url, batch_size=100),
        tenant.settings,
        bootstrap=kafka_bootstrap,
    )
    correlate = stormy.correlator
    assert correlate is not None
    try:
        _correlate_all(stormy, total // 3)
        assert stormy.health.ready
        server.pause()
        commits = correlate.stats.commits
        for _ in range(5):
            stormy.step()
        assert not stormy.health.ready and stormy.health.retries > 0
        assert correlate.stats.commits == commits  # nothing committed while the store is down
        outage = [r.getMessage() for r in caplog.records if "state store" in r.getMessage()]
        assert len(outage) == 1 and outage[0].startswith("state store unreachable: Redis")
        server.resume()
        _correlate_all(stormy, total)
        assert stormy.health.ready
        logged = [r.getMessage() for r in caplog.records if "state store" in r.getMessage()]
        assert len(logged) == 2 and logged[1].startswith("state store reachable again after")
    finally:
        server.resume()
        stormy.close()
    undisturbed = published_alerts(alerts_of(read_topic(kafka_bootstrap, calm_topics.alerts)))
    assert undisturbed, "the tenant's attacks were not detected at all"
    after_outage = published_alerts(alerts_of(read_topic(kafka_bootstrap, run.topics.alerts)))
    assert after_outage == undisturbed


def test_an_idle_job_logs_its_redis_outage_and_recovery(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    redis_server_factory: object,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No record arrives, so no batch needs the store: its outage is still logged, once, and
    so is its recovery."""
    from correlator.config import Settings
    from correlator.runtime import runner as runner_module

    monkeypatch.setattr(runner_module, "STORE_CHECK_S", 0.2)
    caplog.set_level(logging.INFO, logger="correlator.runtime.runner")
    server = redis_server_factory()  # type: ignore[operator]
    run = run_settings(kafka_topics, partitions=1, state=server.url)
    job = Runner(run, Settings(geoip_dir=None), bootstrap=kafka_bootstrap)

    def logged() -> list[str]:
        return [r.getMessage() for r in caplog.records if "state store" in r.getMessage()]

    def step_until(count: int) -> None:
        deadline = time.monotonic() + 60
        while len(logged()) < count:
            assert time.monotonic() < deadline, logged()
            assert job.step() == 0  # idle throughout

    try:
        for _ in range(5):
            job.step()
        assert logged() == []  # up: nothing to say
        server.stop()
        step_until(1)
        for _ in range(5):
            job.step()  # still down: said once
        assert logged() == [f"state store unreachable: no answer to PING at {server.url}"]
        server.start()  # on the same port
        step_until(2)
        assert logged()[1].startswith("state store reachable again after")
    finally:
        job.close()
