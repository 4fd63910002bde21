"""The runtime contract: the faust runtime publishes what `correlator run` publishes.

The simulated tenant goes through the native runtime and through `correlator faust worker`
(a real faust worker process on the embedded broker); both must give the same alert ids and
severities, equal to replay's. A faust worker killed with SIGKILL and restarted loses nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from correlator.metrics import METRIC_NAMES
from correlator.rules import registry
from correlator.rules.base import KeyedRule
from correlator.runconfig import RunSettings
from correlator.runtime.broker import free_port
from correlator.runtime.faust_bridge import librdkafka_partitioner
from correlator.runtime.faust_settings import app_id
from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory, _delete_topics
from tests.runtime.harness import (
    alerts_of,
    committed,
    drive_to_the_end,
    produce,
    read_topic,
    run_settings,
)
from tests.runtime.tenant import Tenant, make_tenant, published_alerts
from tests.runtime.test_process import PARTITIONS, start, wait_for


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    return make_tenant(tmp_path_factory.mktemp("tenant"), users=40, days=10, seed=4)


def faust_command(run: RunSettings, bootstrap: str, config: Path, metrics_port: int) -> list[str]:
    args = [sys.executable, "-m", "correlator", "faust", "worker", "--loglevel", "warning"]
    args += ["--bootstrap-servers", bootstrap, "--group-id", run.group_id, "--state", run.state]
    args += ["--config", str(config), "--batch-size", "50", "--metrics-port", str(metrics_port)]
    args += ["-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]
    for name in TOPICS:
        args += [f"--topic-{name}", getattr(run.topics, name)]
    return args


def faust_environment(run: RunSettings, bootstrap: str, config: Path, port: int) -> dict[str, str]:
    """The same job for `faust -A correlator.runtime.faust_app worker`, from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORRELATOR_")}
    env |= {
        "CORRELATOR_BOOTSTRAP_SERVERS": bootstrap,
        "CORRELATOR_GROUP_ID": run.group_id,
        "CORRELATOR_STATE": run.state,
        "CORRELATOR_CONFIG": str(config),
        "CORRELATOR_BATCH_SIZE": "50",
        "CORRELATOR_METRICS_PORT": str(port),
        "CORRELATOR_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "CORRELATOR_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    }
    for name in TOPICS:
        env[f"CORRELATOR_TOPIC_{name.upper()}"] = getattr(run.topics, name)
    return env


def waiting(condition: Callable[[], bool], timeout_s: float, what: str, log: Path) -> None:
    try:
        wait_for(condition, timeout_s, what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; worker log:\n{log.read_text()[-4000:]}") from None


def faust_committed(bootstrap: str, run: RunSettings, topics: tuple[str, ...]) -> int:
    group = app_id(run)
    return sum(committed(bootstrap, group, topic, PARTITIONS) for topic in topics)


TOPICS = ("signins", "audits", "tickets", "calls", "vpn", "events", "keyed", "alerts", "dlq")
POISON = b'{"id": "truncated sign-in", "createdDateTime": '


def with_poison(run: RunSettings, tenant: Tenant) -> list[tuple[str, bytes, bytes | None]]:
    """The tenant's messages and a truncated record, which both runtimes must dead-letter."""
    messages = tenant.messages(run.topics)
    return [*messages[:100], (run.topics.signins, POISON, None), *messages[100:]]


def stream_in(bootstrap: str, messages: list[tuple[str, bytes, bytes | None]]) -> None:
    """Produce ``messages`` in chunks, a little at a time, as a live source would."""
    for start_at in range(0, len(messages), 200):
        produce(bootstrap, messages[start_at : start_at + 200])
        time.sleep(0.1)


def dead_letters(bootstrap: str, run: RunSettings) -> set[tuple[str, str, bytes]]:
    """(logical source topic, reason, original bytes) of every dead letter, once each.

    Unkeyed records land on a random partition, so where a record was is not compared.
    """
    logical = {getattr(run.topics, name): name for name in TOPICS}
    letters = set()
    for message in read_topic(bootstrap, run.topics.dlq, idle_s=0.5):
        headers = {k: v.decode() for k, v in message.headers() or [] if v is not None}
        source = logical.get(headers["correlator.source.topic"], headers["correlator.source.topic"])
        letters.add((source, headers["correlator.reason"], message.value() or b""))
    return letters


def raw_letters(letters: set[tuple[str, str, bytes]]) -> set[tuple[str, str, bytes]]:
    return {letter for letter in letters if letter[0] in ("signins", "audits", "tickets", "calls")}


def native_run(
    bootstrap: str, topics: TopicFactory, tenant: Tenant
) -> tuple[dict[str, int], set[tuple[str, str, bytes]]]:
    run = run_settings(topics, partitions=PARTITIONS)
    produced = produce(bootstrap, with_poison(run, tenant))
    runner = Runner(run, tenant.settings, bootstrap=bootstrap)
    try:
        drive_to_the_end(runner, produced)
    finally:
        runner.close()
    alerts = published_alerts(alerts_of(read_topic(bootstrap, run.topics.alerts)))
    return alerts, dead_letters(bootstrap, run)


def test_faust_gives_native_alerts_and_survives_sigkill(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tenant: Tenant,
    redis_namespace: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    expected = tenant.expected_alerts()
    assert sorted(expected.values()).count(4) >= 2  # the tenant holds real attacks
    native, native_letters = native_run(kafka_bootstrap, kafka_topics, tenant)
    assert native == expected
    assert any(value == POISON for _, _, value in native_letters)

    faust_topics = TopicFactory(kafka_bootstrap)  # the same logical names, other topics
    try:
        run, alerts = check_faust(
            kafka_bootstrap, faust_topics, tenant, redis_namespace, redis_url, tmp_path
        )
        # The same raw records dead-lettered for the same reasons (a replay may send one
        # twice). Events dead-lettered as too late depend on the order they arrived in, which
        # differs (a backlog natively, a live stream and a restart here), so they are left out.
        assert raw_letters(dead_letters(kafka_bootstrap, run)) == raw_letters(native_letters)
        compare_alerts(published_alerts(alerts), native, keyed_uids(alerts))
    finally:
        _delete_topics(kafka_bootstrap, faust_topics.created)


def check_faust(
    kafka_bootstrap: str,
    topics: TopicFactory,
    tenant: Tenant,
    redis_namespace: str,
    redis_url: str,
    tmp_path: Path,
) -> tuple[RunSettings, dict[str, dict[str, object]]]:
    """The tenant through a faust worker, SIGKILLed and restarted: its settings and alerts."""
    run = run_settings(topics, partitions=PARTITIONS)
    run = RunSettings(**{**run.__dict__, "state": redis_url, "group_id": redis_namespace})
    messages = with_poison(run, tenant)
    produced = len(messages)
    port, log = free_port(), tmp_path / "faust.log"
    args = faust_command(run, kafka_bootstrap, tenant.directory / "correlator.yaml", port)

    # The input streams in while the first worker runs; its tail only after the kill, so the
    # restarted worker always has work left, besides whatever the killed one had not committed.
    tail = messages[-100:]
    feeder = threading.Thread(target=stream_in, args=(kafka_bootstrap, messages[:-100]))
    first = start(args, log)
    feeder.start()
    try:
        waiting(
            lambda: faust_committed(kafka_bootstrap, run, (run.topics.events,)) > 100,
            120,
            "a first commit of correlated events",
            log,
        )
        first.send_signal(signal.SIGKILL)  # no flush, no commit, no goodbye
        first.wait(10)
    finally:
        first.kill()
        feeder.join(60)
    assert faust_committed(kafka_bootstrap, run, run.topics.raw) < produced
    produce(kafka_bootstrap, tail)

    # Restarted through faust's own command line, configured from the environment.
    faust_cli = [sys.executable, "-m", "faust", "-A", "correlator.runtime.faust_app", "worker"]
    env = faust_environment(run, kafka_bootstrap, tenant.directory / "correlator.yaml", port)
    second = subprocess.Popen(
        [*faust_cli, "--loglevel", "warn"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        waiting(
            lambda: faust_committed(kafka_bootstrap, run, run.topics.raw) >= produced,
            120,
            "normalize to commit every raw record",
            log,
        )
        events = len(read_topic(kafka_bootstrap, run.topics.events))
        waiting(
            lambda: faust_committed(kafka_bootstrap, run, (run.topics.events,)) >= events,
            120,
            "correlate to commit every event",
            log,
        )
        forwarded = len(read_topic(kafka_bootstrap, run.topics.keyed))
        waiting(
            lambda: faust_committed(kafka_bootstrap, run, (run.topics.keyed,)) >= forwarded,
            60,
            "the keyed stage to commit everything forwarded",
            log,
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
            exposition = reply.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as reply:
            assert reply.status == 200
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0, log.read_text()[-3000:]
    finally:
        second.kill()

    alerts = alerts_of(read_topic(kafka_bootstrap, run.topics.alerts))
    # The project's metrics, under the native names, counted by the faust worker.
    assert all(name in exposition for name in METRIC_NAMES if name.startswith("correlator_"))
    # The restarted worker had events left to correlate (asserted above): they were counted.
    assert sample(exposition, 'correlator_committed_messages_total{stage="correlate"}') > 0
    consumed = f'correlator_records_consumed_total{{topic="{run.topics.events}"}}'
    assert sample(exposition, consumed) > 0
    return run, alerts


def keyed_uids(alerts: dict[str, dict[str, object]]) -> set[str]:
    """The findings of the keyed stage's rules (call and callback campaigns, reset bursts)."""
    rules = {rule.meta.id for rule in registry.select() if isinstance(rule, KeyedRule)}
    return {uid for uid, alert in alerts.items() if alert["metadata"]["event_code"] in rules}  # type: ignore[index]


def compare_alerts(faust: dict[str, int], native: dict[str, int], keyed: set[str]) -> None:
    """The same alert ids and severities. A keyed-stage severity that differs is the README's
    known gap (the keyed stage's answer depends on arrival order, which the restart changes):
    reported as an expected failure, the rest having passed, not hidden."""
    assert set(faust) == set(native)
    assert keyed & set(native), "the tenant's keyed-stage alerts took part"
    by_user = {uid: severity for uid, severity in faust.items() if uid not in keyed}
    assert by_user == {uid: severity for uid, severity in native.items() if uid not in keyed}
    differing = sorted(uid for uid in keyed & set(faust) if faust[uid] != native[uid])
    if differing:
        pytest.xfail(f"keyed-stage severities differ (README: known gap): {differing}")


def sample(exposition: str, series: str) -> float:
    line = next(line for line in exposition.splitlines() if line.startswith(series + " "))
    return float(line.split()[-1])


def test_faust_partitions_users_like_the_native_producer(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    """A user's events go to one partition whichever runtime's normalize stage wrote them."""
    topic = kafka_topics("keyed", partitions=6)
    users = [f"user{i}@contoso.example".encode() for i in range(60)]
    produce(kafka_bootstrap, [(topic, b"{}", user) for user in users])
    placed = {m.key(): m.partition() for m in read_topic(kafka_bootstrap, topic, idle_s=0.5)}
    assert len(placed) == len(users) and len(set(placed.values())) > 1
    for user in users:
        assert librdkafka_partitioner(user, list(range(6)), list(range(6))) == placed[user]


def test_default_install_does_without_faust() -> None:
    """faust is the `faust` extra (tests/deploy/test_packaging.py checks the declaration): the
    native job and its command line never import it."""
    probe = (
        "import sys; from correlator.cli import build_parser; "
        "import correlator.runtime.runner, correlator.runtime.demo; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('faust', 'aiokafka', 'mode')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
