"""`correlator ingest files`: exported files through the real producer into the embedded broker,
then the real job, which must raise the alerts replay raises over the same files."""

from __future__ import annotations

import gzip
import re
import shutil
import time
from pathlib import Path

import orjson
import pytest

from correlator.cli import main
from correlator.connectors.file_ingest import plan
from correlator.model import Severity
from correlator.runtime.replay import replay
from correlator.runtime.runner import Runner
from correlator.wiring import build_engine, build_keyed_engine, build_normalizer
from tests.conftest import TopicFactory
from tests.connectors.records import signin
from tests.runtime.harness import alerts_of, drive_to_the_end, read_topic, run_settings
from tests.runtime.tenant import Tenant, make_tenant, published_alerts

QUIRKS = Path(__file__).parents[1] / "fixtures" / "quirks"
GRAPH_DOCS = Path(__file__).parents[1] / "fixtures" / "samples" / "microsoft-graph-docs"


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Tenant:
    return make_tenant(tmp_path_factory.mktemp("tenant"), users=30, days=8, seed=5)


@pytest.mark.integration
def test_ingested_files_give_replays_alerts(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    tenant: Tenant,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Every log of the tenant, the sparse VPN gateways' (20 lines in 8 days) included: a fetch
    # of it spans days, and the alignment holds each line back until the others catch up.
    logs = tmp_path / "logs"
    shutil.copytree(tenant.directory / "logs", logs)
    settings = tenant.settings
    result = replay(
        [logs],
        build_engine(settings),
        build_normalizer(settings),
        int(time.time() * 1000),
        keyed=build_keyed_engine(settings),
    )
    latest = {f.uid: f for f in result.findings}
    expected = {
        uid: int(f.severity)
        for uid, f in latest.items()
        if f.activity != "close" and f.severity >= Severity.MEDIUM
    }
    assert expected, "the simulated tenant holds attacks"
    run = run_settings(kafka_topics, partitions=3)
    topic_flags = [
        f"--topic-{n}={getattr(run.topics, n)}"
        for n in ("signins", "audits", "tickets", "calls", "vpn")
    ]
    code = main(
        [
            "ingest",
            "files",
            str(logs),
            "--bootstrap-servers",
            kafka_bootstrap,
            *topic_flags,
        ]
    )
    assert code == 0
    summary = capsys.readouterr().err
    match = re.search(r"produced (\d+) ", summary)
    assert match is not None, summary
    produced = int(match.group(1))
    assert produced > 1000 and f"{run.topics.signins} " in summary
    runner = Runner(run, tenant.settings, bootstrap=kafka_bootstrap)
    normalize = runner.normalizer
    assert normalize is not None
    try:
        drive_to_the_end(runner, produced)
    finally:
        runner.close()
    # Every produced message reached the job: the raw topics held exactly what was reported.
    assert normalize.stats.committed_messages == produced
    assert published_alerts(alerts_of(read_topic(kafka_bootstrap, run.topics.alerts))) == expected


def test_plan_sorts_by_event_time_and_sorts_out_what_the_job_refuses(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"not": "a log"}\n{oops\n')
    result = plan(
        [
            QUIRKS / "InteractiveSignIns_2026-10-01_2026-10-02.csv",
            QUIRKS / "AuditLogs_2026-10-01.csv",
            broken,
        ]
    )
    topics = result.by_topic()
    assert topics["signins"] > 0 and topics["audits"] + sum(result.ignored.values()) > 0
    times = [m.time for m in result.messages]
    assert times == sorted(times)
    assert {r.reason for r in result.refused} >= {"unknown_format", "malformed_json"}
    assert all(r.location.startswith(str(broken)) for r in result.refused if "broken" in r.location)
    first = orjson.loads(result.messages[0].value)
    assert isinstance(first, dict) and result.messages[0].key


def test_every_export_format_reaches_its_topic(tmp_path: Path) -> None:
    """Each format `replay` reads goes to its raw topic: Graph pages, Azure Monitor envelopes
    (properties as an object or a JSON string), Log Analytics rows, JSON lines, gzip, the admin
    center's JSON array and CSV downloads."""
    envelope = [
        {"time": r["createdDateTime"], "category": "SignInLogs", "properties": r}
        for r in (signin(1, 60), signin(2, 120))
    ]
    envelope[1]["properties"] = orjson.dumps(envelope[1]["properties"]).decode()
    files = {
        "monitor.json": orjson.dumps({"records": envelope}),
        "graph-page.json": orjson.dumps({"value": [signin(3, 180), signin(4, 240)]}),
        "admin-center-download.json": orjson.dumps([signin(5, 300)]),
        "signins.jsonl.gz": gzip.compress(b"\n".join(orjson.dumps(signin(n, n)) for n in (6, 7))),
    }
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    for name in (
        "log-analytics-signin.jsonl",
        "AuditLogs_2026-10-01.csv",
        "helpdesk-tickets.jsonl",
    ):
        shutil.copy(QUIRKS / name, tmp_path / name)
    shutil.copy(GRAPH_DOCS / "v1.0_callrecords-callrecord-getpstncalls_response.json", tmp_path)
    result = plan([tmp_path])
    assert not result.skipped and not [r for r in result.refused if "tickets" not in r.location]
    ids = set()
    for message in result.messages:
        record = orjson.loads(message.value)  # a Monitor record goes out as one, unwrapped
        inner = record.get("properties", record) if message.topic == "signins" else {}
        ids.add((orjson.loads(inner) if isinstance(inner, str) else inner).get("id"))
    assert {signin(n, 0)["id"] for n in range(1, 8)} <= ids  # every Graph-shaped sign-in
    assert result.by_topic() == {"signins": 8, "audits": 2, "calls": 1, "tickets": 2}
    assert result.ignored == {"service_principal": 1, "irrelevant_activity": 1}
    assert len(result.messages) + len(result.refused) + result.ignored.total() == result.records
