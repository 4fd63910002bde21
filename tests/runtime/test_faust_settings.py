"""faust's settings come from the same run settings as `correlator run`, translated."""

from __future__ import annotations

import pytest

from correlator.errors import ConfigError
from correlator.runconfig import RunSettings
from correlator.runtime.faust_settings import app_id, app_settings


def settings(**kafka: str) -> dict[str, object]:
    return app_settings(RunSettings(group_id="job", kafka=kafka), "k1:9092, k2:9092")


def test_defaults_chosen_for_at_least_once_throughput() -> None:
    chosen = settings()
    assert chosen["broker"] == ["kafka://k1:9092", "kafka://k2:9092"]
    assert chosen["producer_acks"] == -1  # an output is durable before its input is acked
    assert chosen["producer_linger_ms"] == 0  # a batch's sends are awaited together
    assert chosen["stream_wait_empty"] is True
    assert chosen["store"] == "memory://"  # no faust tables
    assert app_id(RunSettings(group_id="job")) == "job.faust-all"


def test_librdkafka_properties_are_translated() -> None:
    chosen = settings(
        **{
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500",
            "fetch.wait.max.ms": "25",
            "message.max.bytes": "2000000",
        }
    )
    assert chosen["broker_session_timeout"] == 6.0
    assert chosen["broker_heartbeat_interval"] == 0.5
    assert chosen["fetch_max_wait_ms"] == 25
    assert chosen["producer_max_request_size"] == 2_000_000


def test_untranslated_properties_are_named(caplog: pytest.LogCaptureFixture) -> None:
    settings(**{"compression.type": "lz4"})
    assert "compression.type" in caplog.text


@pytest.mark.parametrize(
    ("name", "value"), [("session.timeout.ms", "6s"), ("message.max.bytes", "1MB")]
)
def test_a_malformed_number_says_which_property(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        settings(**{name: value})


def test_an_unsupported_security_protocol_is_refused() -> None:
    with pytest.raises(ConfigError, match="SASL_GSSAPI"):
        settings(**{"security.protocol": "SASL_GSSAPI"})


def test_faust_worker_refuses_the_workers_flag_of_run(capsys: pytest.CaptureFixture[str]) -> None:
    from correlator.cli import main

    assert main(["faust", "worker", "--workers", "2"]) == 2
    assert "faust worker runs one process" in capsys.readouterr().err
