"""The whole configuration file is checked against its schema; each error names its YAML path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from correlator.config import load_settings, settings_from_mapping
from correlator.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"detection": {"window_minutes": "sixty"}}, "detection.window_minutes: expected a number"),
        ({"detection": 7}, "detection: expected a mapping, got an integer"),
        ({"aliases": ["a", "b"]}, "aliases: expected a mapping, got a list"),
        ({"aliases": {"a": "b", "c": 5}}, "aliases.c: expected a string"),
        (
            {"detection": {"privileged_users": "bob@x"}},
            "detection.privileged_users: expected a list",
        ),
        ({"detectoin": {}}, "detectoin: unknown setting"),
        ({"detection": {"publish_min_severity": 9}}, "detection.publish_min_severity: .* <= 6"),
        ({"detection": {"weights": {"family_cap": -1}}}, "detection.weights.family_cap: .* >= 0"),
        ({"detection": {"weights": {"famly_cap": 1}}}, "detection.weights.famly_cap: unknown"),
        ({"detection": {"window_minutes": 0}}, "detection.window_minutes: .* > 0"),
        ({"intel": {"ok": ["192.0.2.1"], "bad": ["x", 1]}}, r"intel.bad\[1\]: expected a string"),
        ({"corporate": {"asns": ["AS1"]}}, r"corporate.asns\[0\]: expected an integer"),
        ({"corporate": {"cidr": []}}, "corporate.cidr: unknown setting"),
        ({"kafka": {"properties": {"acks": [1]}}}, "kafka.properties.acks: expected"),
        ({"kafka": {"partitions": 0}}, "kafka.partitions: .* >= 1"),
        ({"kafka": {"group": "x"}}, "kafka.group: unknown setting"),
        ({"topics": {"signin": "x"}}, "topics.signin: unknown setting"),
        ({"rules": {"vishing-chain": {"enabld": False}}}, "rules.vishing-chain.enabld: unknown"),
        ({"metrics_port": 70000}, "metrics_port: .* <= 65535"),
        ({"batch_size": True}, "batch_size: expected an integer"),
        ({"max_future_hours": None}, "max_future_hours: expected a number, got null"),
        ({"state": ""}, "state: .* length >= 1"),
    ],
)
def test_misuse_names_the_yaml_path(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_mapping(raw)


def test_empty_sections_and_readable_values_are_accepted() -> None:
    settings = settings_from_mapping(
        {
            "aliases": None,
            "intel": None,
            "detection": {"window_minutes": 90.5, "weights": {"tor": 40}, "top_k": 4},
            "kafka": {"properties": {"max.poll.interval.ms": 300000, "client.id": "c"}},
        }
    )
    assert settings.detection.window_ms == 90.5 * 60_000
    assert settings.detection.weights.tor == 40
    assert settings.aliases == {}


def test_the_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("detection:\n  privileged_users: bob@x\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}: detection.privileged_users: expected a list, got a string"


@pytest.mark.parametrize("name", ["deploy/config/correlator.yaml"])
def test_shipped_configuration_is_valid(name: str) -> None:
    settings = load_settings(ROOT / name)
    assert settings.extra["kafka"]["group_id"] == "correlator"


def test_connector_sections() -> None:
    raw = {
        "kafka": {"preset": "eventhubs", "eventhubs_namespace": "contoso-logs"},
        "directory": {"sync": True, "refresh_minutes": 30, "ttl_hours": 6},
    }
    assert settings_from_mapping(raw).extra["directory"]["sync"] is True
    with pytest.raises(ConfigError, match=r"directory\.refresh_minutes: .* > 0"):
        settings_from_mapping({"directory": {"refresh_minutes": 0}})
    with pytest.raises(ConfigError, match=r"directory\.sinc: unknown setting"):
        settings_from_mapping({"directory": {"sinc": True}})
