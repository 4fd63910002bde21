"""Flags beat the environment, which beats the YAML file, which beats the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.config import load_settings
from correlator.errors import ConfigError
from correlator.runconfig import resolve_run_settings

YAML = {
    "kafka": {
        "bootstrap_servers": "yaml:9092",
        "group_id": "from-yaml",
        "properties": {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"},
    },
    "state": "redis://yaml:6379/0",
    "topics": {"signins": "yaml.signins"},
    "batch_size": 50,
}


def test_defaults() -> None:
    run = resolve_run_settings({}, {}, {})
    assert (run.group_id, run.state, run.stage, run.bootstrap_servers) == (
        "correlator",
        "memory",
        "all",
        None,
    )
    assert run.topics.raw == (
        "entra.signins",
        "entra.audits",
        "helpdesk.tickets",
        "calls.records",
        "vpn.auth",
    )
    assert run.topics.alerts == "correlator.alerts" and run.topics.dlq == "correlator.dlq"


def test_yaml_then_env_then_flags() -> None:
    run = resolve_run_settings({}, {}, YAML)
    assert (run.bootstrap_servers, run.group_id, run.batch_size) == ("yaml:9092", "from-yaml", 50)
    assert run.topics.signins == "yaml.signins"
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "env:9092",
        "REDIS_URL": "redis://env:6379/1",
        "CORRELATOR_TOPIC_SIGNINS": "env.signins",
    }
    run = resolve_run_settings({}, env, YAML)
    assert (run.bootstrap_servers, run.state, run.topics.signins) == (
        "env:9092",
        "redis://env:6379/1",
        "env.signins",
    )
    flags = {"bootstrap_servers": "flag:9092", "state": "memory", "topic_signins": "flag.s"}
    run = resolve_run_settings(flags, env, YAML)
    assert (run.bootstrap_servers, run.state, run.topics.signins) == (
        "flag:9092",
        "memory",
        "flag.s",
    )


def test_correlator_variable_beats_the_usual_one() -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "usual:9092", "CORRELATOR_BOOTSTRAP_SERVERS": "ours:9092"}
    assert resolve_run_settings({}, env, {}).bootstrap_servers == "ours:9092"


def test_kafka_properties_pass_through_and_secrets_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    env = {
        "CORRELATOR_KAFKA_SASL_USERNAME": "svc",
        "CORRELATOR_KAFKA_SASL_PASSWORD_FILE": str(secret),
    }
    flags = {"kafka_property": ["ssl.ca.location=/etc/ca.pem"]}
    run = resolve_run_settings(flags, env, YAML)
    assert run.kafka == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "svc",
        "sasl.password": "s3cret",
        "ssl.ca.location": "/etc/ca.pem",
    }
    assert run.redacted_kafka()["sasl.password"] == "***"
    assert "s3cret" not in repr(run.redacted_kafka())


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"stage": "both"}, "stage"),
        ({"state": "postgres://x"}, "state"),
        ({"kafka_property": ["novalue"]}, "-X"),
        ({"batch_size": "many"}, "batch_size"),
    ],
)
def test_bad_settings_name_the_setting(flags: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_run_settings(flags, {}, {})


def test_yaml_file_detection_and_corporate(tmp_path: Path) -> None:
    path = tmp_path / "correlator.yaml"
    path.write_text(
        "geoip_dir: geoip\n"
        "corporate: {cidrs: [198.51.100.0/24], asns: [64500]}\n"
        "detection: {window_minutes: 30, weights: {anonymizer: 40}}\n"
        "kafka: {bootstrap_servers: 'k:9092'}\n"
    )
    settings = load_settings(path)
    assert settings.geoip_dir == tmp_path / "geoip"
    assert settings.detection.window_ms == 30 * 60_000
    assert settings.detection.weights.anonymizer == 40
    assert settings.detection.corporate_cidrs == ("198.51.100.0/24",)
    assert resolve_run_settings({}, {}, settings.extra).bootstrap_servers == "k:9092"


def test_unknown_detection_setting_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("detection: {windw_minutes: 30}\n")
    with pytest.raises(ConfigError, match="windw_minutes"):
        load_settings(path)


def test_metrics_bind_from_flag_env_or_yaml() -> None:
    assert resolve_run_settings({}, {}, {}).metrics_bind == "0.0.0.0"
    assert resolve_run_settings({}, {}, {"metrics_bind": "::1"}).metrics_bind == "::1"
    env = {"CORRELATOR_METRICS_BIND": "127.0.0.1"}
    assert resolve_run_settings({}, env, {"metrics_bind": "::1"}).metrics_bind == "127.0.0.1"
    flags = {"metrics_bind": "10.0.0.5"}
    assert resolve_run_settings(flags, env, {}).metrics_bind == "10.0.0.5"
