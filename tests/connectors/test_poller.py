"""The Graph poller, through the real msal client and producer, into the embedded broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import orjson
import pytest

from correlator.connectors.checkpoint import (
    Checkpoint,
    Checkpoints,
    FileCheckpoints,
    open_checkpoints,
)
from correlator.connectors.graph import GraphError
from correlator.connectors.ledger import ID_HEADER, TopicLedger
from correlator.connectors.poller import ENDPOINTS, GraphPoller
from correlator.normalize import Normalizer
from correlator.runtime.clients import TrackedProducer, producer_config
from correlator.runtime.topics import Topics
from tests.conftest import TopicFactory
from tests.connectors.conftest import client_for
from tests.connectors.fake_graph import CLIENT_ID, TENANT, FakeGraph, Fault
from tests.connectors.records import audit, signin
from tests.connectors.tls import Tls
from tests.runtime.harness import read_topic

SIGNINS = ENDPOINTS["signins"].path
AUDITS = ENDPOINTS["audits"].path
CALLS = ENDPOINTS["calls"].path
SINCE = "2026-11-30T07:00:00Z"


def _topics(kafka_topics: TopicFactory) -> Topics:
    names = kafka_topics.many({"signins": 2, "audits": 1, "calls": 1})
    return Topics(signins=names["signins"], audits=names["audits"], calls=names["calls"])


def _ids(bootstrap: str, topic: str, expected: int) -> Counter[str]:
    """Record ids on ``topic``: read until ``expected`` messages arrived and then a quiet second
    (so a duplicate beyond them shows), never judging "all read" from one quiet spell alone."""
    counts: Counter[str] = Counter()
    deadline = time.monotonic() + 60
    while sum(counts.values()) < expected and time.monotonic() < deadline:
        counts = Counter(
            orjson.loads(m.value())["id"] for m in read_topic(bootstrap, topic, idle_s=1)
        )
    return counts


def _poller(
    fake: FakeGraph, tls: Tls, bootstrap: str, topics: Topics, checkpoints: Checkpoints
) -> GraphPoller:
    return GraphPoller(
        client=client_for(fake, tls),
        sink=TrackedProducer(producer_config(bootstrap, {})),
        ledger=TopicLedger(bootstrap, {}),
        checkpoints=checkpoints,
        topics=topics,
        endpoints=(ENDPOINTS["signins"], ENDPOINTS["audits"], ENDPOINTS["calls"]),
        since_ms=1_796_022_000_000,  # 2026-11-30T07:00Z
    )


def _cli(fake: FakeGraph, tls: Tls, bootstrap: str, topics: Topics, tmp: Path) -> list[str]:
    (tmp / "secret").write_text(fake.secret)
    return [
        sys.executable, "-m", "correlator", "ingest", "graph",
        "--tenant-id", TENANT, "--client-id", CLIENT_ID,
        "--client-secret-file", str(tmp / "secret"),
        "--bootstrap-servers", bootstrap,
        "--checkpoint", str(tmp / "checkpoint.json"),
        "--since", SINCE, "--once", "--endpoints", "signins,audits",
        "--authority", fake.url, "--graph-url", fake.url, "--ca-bundle", str(tls.ca_file),
        "--requests-per-10s", "1000",
        "--topic-signins", topics.signins, "--topic-audits", topics.audits,
    ]  # fmt: skip


@pytest.mark.integration
def test_killed_mid_page_and_restarted_yields_every_record_once(
    fake_graph: FakeGraph,
    tls: Tls,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tmp_path: Path,
) -> None:
    topics = _topics(kafka_topics)
    fake_graph.add(SIGNINS, [signin(i, i * 7) for i in range(120)], "createdDateTime", 25)
    fake_graph.add(AUDITS, [audit(i, i * 60) for i in range(8)], "activityDateTime", 5)
    fake_graph.faults.append(Fault("hang", "%3A75"))  # the fourth sign-in page stops half-way
    command = _cli(fake_graph, tls, kafka_bootstrap, topics, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        assert fake_graph.hanging.wait(60), "the poller never reached the fourth page"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    fake_graph.hang.set()
    killed = FileCheckpoints(tmp_path / "checkpoint.json").load("signins")
    assert len(killed.sent) == 75 and killed.high_water_ms is None  # three pages, pass unfinished
    assert sum(_ids(kafka_bootstrap, topics.signins, 75).values()) == 75

    fake_graph.add(SIGNINS, [signin(i, i * 7) for i in range(125)], "createdDateTime", 25)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "75 already sent" in second.stderr
    signin_ids = _ids(kafka_bootstrap, topics.signins, 125)
    audit_ids = _ids(kafka_bootstrap, topics.audits, 8)
    assert len(signin_ids) == 125 and set(signin_ids.values()) == {1}
    assert len(audit_ids) == 8 and set(audit_ids.values()) == {1}
    assert "s3cr3t" not in second.stderr


@pytest.mark.integration
def test_overlap_rereads_late_records_and_skips_sent_ones(
    fake_graph: FakeGraph,
    tls: Tls,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    redis_url: str,
    redis_namespace: str,
) -> None:
    topics = _topics(kafka_topics)
    fake_graph.add(SIGNINS, [signin(i, 600 + i * 60) for i in range(10)], "createdDateTime", 4)
    fake_graph.add(CALLS, [], "startDateTime")
    fake_graph.add(AUDITS, [], "activityDateTime")
    checkpoints = open_checkpoints(redis_url, namespace=redis_namespace)
    poller = _poller(fake_graph, tls, kafka_bootstrap, topics, checkpoints)
    poller.poll_once()
    first = poller.checkpoints.load("signins")
    assert first.high_water_ms is not None and len(first.sent) == 10
    # Indexed late: a sign-in older than the high-water mark, inside the overlap, shows up.
    late = signin(99, 600 + 9 * 60 - 300)
    fake_graph.add(
        SIGNINS, [*(signin(i, 600 + i * 60) for i in range(10)), late], "createdDateTime", 4
    )
    poller.poll_once()
    assert poller.stats.produced == 11 and poller.stats.duplicates > 0
    filters = [p for p in fake_graph.graph_requests if p.startswith(SIGNINS) and "filter" in p]
    assert "createdDateTime+ge+2026-11-30T07%3A49%3A00.123Z" in filters[-1]  # 08:19 - 30 min
    ids = _ids(kafka_bootstrap, topics.signins, 11)
    assert len(ids) == 11 and set(ids.values()) == {1}
    assert any("%24expand=sessions" in p for p in fake_graph.graph_requests if CALLS in p)
    assert len(poller.checkpoints.load("signins").sent) == 11


@pytest.mark.integration
def test_malformed_page_stops_the_pass_and_the_next_one_resumes(
    fake_graph: FakeGraph,
    tls: Tls,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tmp_path: Path,
) -> None:
    topics = _topics(kafka_topics)
    fake_graph.add(SIGNINS, [signin(i, i * 30) for i in range(9)], "createdDateTime", 3)
    fake_graph.add(AUDITS, [], "activityDateTime")
    fake_graph.add(CALLS, [], "startDateTime")
    fake_graph.faults.append(Fault("malformed", "%3A6"))
    checkpoints = FileCheckpoints(tmp_path / "cp.json")
    poller = _poller(fake_graph, tls, kafka_bootstrap, topics, checkpoints)
    with pytest.raises(GraphError, match="malformed page"):
        poller.poll_once()
    assert len(poller.checkpoints.load("signins").sent) == 6
    poller.poll_once()
    ids = _ids(kafka_bootstrap, topics.signins, 9)
    assert len(ids) == 9 and set(ids.values()) == {1}


@pytest.mark.integration
def test_a_crash_between_acknowledgement_and_checkpoint_repeats_nothing(
    fake_graph: FakeGraph,
    tls: Tls,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tmp_path: Path,
) -> None:
    topics = _topics(kafka_topics)
    records = [signin(i, i * 30) for i in range(6)]
    fake_graph.add(SIGNINS, records, "createdDateTime", 3)
    fake_graph.add(AUDITS, [], "activityDateTime")
    fake_graph.add(CALLS, [], "startDateTime")
    checkpoints = FileCheckpoints(tmp_path / "cp.json")
    ledger = TopicLedger(kafka_bootstrap, {})
    # The state a crash leaves: a page of three pending, two of them already on the topic.
    pending = {str(r["id"]): 0 for r in records[3:]}
    checkpoints.save(
        "signins", Checkpoint(pending=pending, pending_from=ledger.ends(topics.signins))
    )
    producer = TrackedProducer(producer_config(kafka_bootstrap, {}))
    for record in records[3:5]:
        headers = [(ID_HEADER, str(record["id"]).encode())]
        producer.produce(topics.signins, orjson.dumps(record), "k", headers)
    producer.flush()
    poller = _poller(fake_graph, tls, kafka_bootstrap, topics, checkpoints)
    poller.poll_once()
    assert poller.stats.duplicates == 2 and poller.stats.produced == 4
    ids = _ids(kafka_bootstrap, topics.signins, 6)
    assert len(ids) == 6 and set(ids.values()) == {1}
    assert not checkpoints.load("signins").pending


@pytest.mark.integration
def test_non_interactive_sign_ins_come_from_beta_with_their_filter(
    fake_graph: FakeGraph,
    tls: Tls,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tmp_path: Path,
) -> None:
    topics = _topics(kafka_topics)
    beta = ENDPOINTS["noninteractive"]
    fake_graph.add(beta.path, [signin(i, i) for i in range(4)], "createdDateTime")
    poller = _poller(fake_graph, tls, kafka_bootstrap, topics, FileCheckpoints(tmp_path / "c"))
    poller.endpoints = (beta,)
    poller.poll_once()
    (first, *_) = [p for p in fake_graph.graph_requests if "filter" in p]
    assert first.startswith("/beta/auditLogs/signIns") and "nonInteractiveUser" in unquote(first)
    assert len(_ids(kafka_bootstrap, topics.signins, 4)) == 4


def test_produced_records_are_what_normalize_reads() -> None:
    normalizer = Normalizer(max_future_ms=86_400_000)
    now = 1_796_040_000_000
    (event,) = normalizer.normalize(orjson.loads(orjson.dumps(signin(1, 60))), now)
    assert event.user == "adele.vance@contoso.example"
    (change,) = normalizer.normalize(audit(1, 60), now)
    assert change.user == "adele.vance@contoso.example"


def test_checkpoint_file_round_trip_and_refuses_garbage(tmp_path: Path) -> None:
    store = FileCheckpoints(tmp_path / "cp.json")
    store.save("signins", Checkpoint(5, {"a": 4}, None))
    store.save("audits", Checkpoint(7, {}, "https://x/delta?$deltatoken=1"))
    assert store.load("signins") == Checkpoint(5, {"a": 4}, None)
    assert store.load("audits").delta_link is not None and store.load("calls") == Checkpoint()
    (tmp_path / "cp.json").write_text("{not json")
    with pytest.raises(Exception, match="unreadable"):
        store.load("signins")
