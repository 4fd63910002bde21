"""The alert schema is strict where a SIEM would break: each mutation below must be rejected."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from correlator.alerts import finding_to_ocsf
from tests.alerts.findings import BASE
from tests.support.alert_schema import AlertSchemaError, validate_alert

Alert = dict[str, Any]


def _set(path: str, value: object) -> Callable[[Alert], None]:
    def mutate(alert: Alert) -> None:
        *parents, leaf = path.split(".")
        target: Any = alert
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[leaf] = value

    return mutate


def _delete(path: str) -> Callable[[Alert], None]:
    def mutate(alert: Alert) -> None:
        *parents, leaf = path.split(".")
        target: Any = alert
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[leaf]

    return mutate


MUTATIONS: list[tuple[str, Callable[[Alert], None], str]] = [
    # (what breaks, mutation, text the error must contain)
    ("type_uid not class*100+activity", _set("type_uid", 200402), "$.type_uid"),
    ("unknown activity", _set("activity_id", 4), "$.activity_id"),
    ("severity caption mismatch", _set("severity", "Low"), "$.severity"),
    ("severity out of range", _set("severity_id", 6), "$.severity_id"),
    ("status for a create", _set("status_id", 5), "$.activity_id"),
    ("confidence id vs score", _set("confidence_score", 10), "$.confidence_score"),
    ("score above 100", _set("confidence_score", 101), "$.confidence_score"),
    ("time with a fraction", _set("time", 1714557600000.5), "$.time"),
    ("time as ISO text", _set("time", "2024-05-01T10:00:00Z"), "$.time"),
    ("invented top-level key", _set("score", 85), "score"),
    ("missing finding uid", _delete("finding_info.uid"), "uid"),
    ("finding uid with spaces", _set("finding_info.uid", "ato 1"), "$.finding_info.uid"),
    ("wrong OCSF version", _set("metadata.version", "1.1.0"), "$.metadata.version"),
    ("undeclared profile", _set("metadata.profiles", []), "$.metadata.profiles"),
    ("create not alerting", _set("is_alert", False), "$.is_alert"),
    ("multi-line message", _set("message", "a\nb"), "$.message"),
    ("bad IP", _set("evidences.0.src_endpoint.ip", "not-an-ip"), "ip"),
    ("device without type", _delete("evidences.0.device.type_id"), "type_id"),
    ("tactic uid format", _set("finding_info.attacks.0.tactic.uid", "Recon"), "tactic.uid"),
    ("latitude out of range", _set("evidences.0.src_endpoint.location.lat", 91.0), "lat"),
]


@pytest.mark.parametrize(
    ("mutate", "where"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_schema_rejects(mutate: Callable[[Alert], None], where: str) -> None:
    alert = copy.deepcopy(finding_to_ocsf(BASE, product_version="1"))
    validate_alert(alert)
    mutate(alert)
    with pytest.raises(AlertSchemaError) as excinfo:
        validate_alert(alert)
    assert where in str(excinfo.value)
