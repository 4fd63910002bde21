"""Event Hubs as the source: the preset's properties, the OAUTHBEARER callback inside the real
librdkafka, and Entra's {"records": [...]} envelopes with duplicates through the real job."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer

from correlator.cli import build_parser
from correlator.cli_ingest import kafka_settings
from correlator.cli_tenant import apply_preset
from correlator.config import Settings
from correlator.connectors.eventhubs import EventHubs, apply, namespace_host
from correlator.errors import ConfigError
from correlator.runconfig import RunSettings, resolve_run_settings
from correlator.runtime.clients import producer_config
from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory
from tests.connectors.conftest import provider_for
from tests.connectors.fake_graph import CLIENT_ID, TENANT, FakeGraph
from tests.connectors.records import signin
from tests.connectors.tls import Tls
from tests.runtime.harness import drive, produce, run_settings

CONNECTION = (
    "Endpoint=sb://contoso-logs.servicebus.windows.net/;SharedAccessKeyName=listen;"
    "SharedAccessKey=c2VjcmV0LWtleS1ub3QtZm9yLWxvZ3M="
)


def _run_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["run", *argv])


def test_connection_string_form_sets_plain_and_keeps_user_overrides() -> None:
    args = _run_args("--preset", "eventhubs", "-X", "session.timeout.ms=45000")
    env = {"CORRELATOR_EVENTHUBS_CONNECTION_STRING": CONNECTION}
    run = apply_preset(resolve_run_settings(vars(args), env, {}), args, env, {})
    assert run.bootstrap_servers == "contoso-logs.servicebus.windows.net:9093"
    assert run.kafka["sasl.mechanism"] == "PLAIN"
    assert run.kafka["sasl.username"] == "$ConnectionString"
    assert run.kafka["sasl.password"] == CONNECTION
    assert run.kafka["security.protocol"] == "SASL_SSL"
    assert run.kafka["session.timeout.ms"] == "45000"  # the user's -X wins over the preset
    assert "SharedAccessKey" not in str(run.redacted_kafka()) and not run.kafka_callbacks


def test_oauth_form_from_yaml_and_environment(
    fake_graph: FakeGraph, tls: Tls, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text(fake_graph.secret)
    args = _run_args("--authority", fake_graph.url, "--ca-bundle", str(tls.ca_file))
    env = {
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_CLIENT_SECRET_FILE": str(tmp_path / "secret"),
    }
    raw = {"kafka": {"preset": "eventhubs", "eventhubs_namespace": "contoso-logs"}}
    run = apply_preset(resolve_run_settings(vars(args), env, raw), args, env, raw)
    assert run.kafka["sasl.mechanism"] == "OAUTHBEARER" and "sasl.password" not in run.kafka
    token, expiry = run.kafka_callbacks["oauth_cb"]("")
    assert token == fake_graph.tokens_issued[0] and expiry > time.time()
    assert fake_graph.scopes == ["https://contoso-logs.servicebus.windows.net/.default"]


def test_namespace_forms_and_refusals() -> None:
    assert namespace_host("contoso") == "contoso.servicebus.windows.net"
    assert (
        namespace_host("sb://c.servicebus.usgovcloudapi.net/") == "c.servicebus.usgovcloudapi.net"
    )
    with pytest.raises(ConfigError):
        namespace_host("bad name")
    with pytest.raises(ConfigError, match="connection string or app credentials"):
        apply(RunSettings(), EventHubs("c.servicebus.windows.net"), None)
    args = _run_args("--preset", "eventhubs")
    with pytest.raises(ConfigError, match="--eventhubs-namespace"):
        apply_preset(RunSettings(), args, {}, {})


def test_librdkafka_calls_the_callback_again_before_the_token_expires(
    fake_graph: FakeGraph, tls: Tls
) -> None:
    # Tokens living 4 s: librdkafka asks for a new one at 80 % of the lifetime, and msal,
    # which treats a token this close to expiry as expired, fetches a fresh one from Entra.
    fake_graph.expires_in = 4
    provider = provider_for(fake_graph, tls, "https://contoso-logs.servicebus.windows.net/.default")
    hubs = EventHubs("127.0.0.1")
    run = apply(RunSettings(kafka={"log_level": "0"}), hubs, provider.oauth_cb)
    config = producer_config("127.0.0.1:9", run.client_properties())
    config["security.protocol"] = "SASL_PLAINTEXT"  # nothing listens there: only the token flow
    producer = Producer(config)
    deadline = time.monotonic() + 20
    while len(fake_graph.tokens_issued) < 2 and time.monotonic() < deadline:
        producer.poll(0.2)
    assert len(fake_graph.tokens_issued) >= 2, "librdkafka never refreshed the token"
    producer.flush(0)


def _envelope(records: list[dict[str, object]]) -> bytes:
    wrapped = [
        {
            "time": r["createdDateTime"],
            "category": "SignInLogs",
            "operationName": "Sign-in activity",
            "tenantId": TENANT,
            "properties": r,
        }
        for r in records
    ]
    return orjson.dumps({"records": wrapped})


@pytest.mark.integration
def test_envelopes_with_duplicates_through_the_job(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    run = run_settings(kafka_topics, partitions=1)
    first, second = [signin(i, 60 * i) for i in range(3)], [signin(i, 60 * i) for i in (2, 3)]
    produce(
        kafka_bootstrap,
        [(run.topics.signins, _envelope(first)), (run.topics.signins, _envelope(second))],
    )
    runner = Runner(run, Settings(geoip_dir=None), bootstrap=kafka_bootstrap)
    correlate = runner.correlator
    assert correlate is not None
    try:
        drive(runner, lambda: correlate.stats.committed_messages >= 5)
        assert correlate.engine.stats.duplicates == 1  # sign-in 2 came in both envelopes
        assert sum(correlate.engine.stats.events.values()) == 4
    finally:
        runner.close()


def test_ingest_commands_produce_to_event_hubs_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRELATOR_EVENTHUBS_CONNECTION_STRING", CONNECTION)
    args = build_parser().parse_args(["ingest", "files", "logs", "--preset", "eventhubs"])
    run = kafka_settings(args)
    assert run.bootstrap_servers == "contoso-logs.servicebus.windows.net:9093"
    assert run.kafka["sasl.mechanism"] == "PLAIN"
