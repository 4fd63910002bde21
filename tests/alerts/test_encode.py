"""Finding -> OCSF Detection Finding: table-driven cases, each validated against the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import orjson
import pytest

from correlator.alerts import PRODUCT_NAME, alert_key, encode_alert, finding_to_ocsf
from correlator.model import Evidence, Observables, Severity, SignInView
from tests.alerts.findings import BASE, MINUTE, SIGNIN, T0, USER, finding
from tests.support.alert_schema import validate_alert

Alert = dict[str, Any]


def _observable_values(alert: Alert, type_id: int) -> list[str]:
    return [o["value"] for o in alert["observables"] if o["type_id"] == type_id]


def _artifact(alert: Alert, name: str) -> Alert:
    return next(e for e in alert["evidences"] if e["name"] == name)


def check_create(alert: Alert) -> None:
    assert (alert["activity_id"], alert["type_uid"], alert["status_id"]) == (1, 200401, 1)
    assert alert["is_alert"] is True
    assert (alert["severity_id"], alert["severity"]) == (4, "High")
    assert (alert["confidence_score"], alert["confidence_id"]) == (85, 3)
    assert alert["time"] == BASE.end_time  # never the wall clock
    info = alert["finding_info"]
    assert info["uid"] == BASE.uid and info["created_time"] == BASE.end_time
    assert info["analytic"] == {
        "uid": BASE.rule_id,
        "name": BASE.rule_id,
        "type_id": 1,
        "type": "Rule",
    }
    assert [e["uid"] for e in info["related_events"]] == [
        "call-1",
        f"{BASE.uid}:timeline:1",
        "signin-1",
    ]
    assert alert["metadata"]["product"] == {
        "name": PRODUCT_NAME,
        "vendor_name": "correlator project",
        "version": "9.9.9",
    }
    assert alert["metadata"]["uid"] == f"{BASE.uid}:create:1"
    signin = _artifact(alert, "signin")
    assert signin["src_endpoint"]["autonomous_system"] == {
        "number": 14061,
        "name": "DigitalOcean, LLC",
    }
    assert signin["device"]["os"] == {"name": "Windows10", "type_id": 100, "type": "Windows"}
    assert _artifact(alert, "credential_change.password_reset")["actor"]["user"]["name"] == (
        "bob.helpdesk@contoso.com"
    )
    assert _observable_values(alert, 99) == ["+15551234567"]  # phone numbers: no OCSF type
    assert _observable_values(alert, 47) == ["dev-7"]
    assert alert["remediation"]["desc"].count("\n") == 1


def check_attacks(alert: Alert) -> None:
    attacks = alert["finding_info"]["attacks"]
    pairs = [(a.get("sub_technique", a["technique"])["uid"], a["tactic"]["uid"]) for a in attacks]
    assert pairs == [
        ("T1598.004", "TA0043"),
        ("T1566.004", "TA0001"),
        ("T1078.004", "TA0001"),
        ("T1078.004", "TA0003"),
        ("T1078.004", "TA0005"),
        ("T1078.004", "TA0004"),
    ]
    assert attacks[0]["technique"] == {"uid": "T1598", "name": "Phishing for Information"}


def check_update_without_signin(alert: Alert) -> None:
    assert (alert["activity_id"], alert["type_uid"], alert["status_id"]) == (2, 200402, 1)
    assert alert["is_alert"] is True
    assert "modified_time" in alert["finding_info"]
    assert "created_time" not in alert["finding_info"]
    assert all(e["name"] != "signin" for e in alert["evidences"])
    # the IP still reaches the SIEM through its own artifact
    assert _artifact(alert, "observed_ip")["src_endpoint"] == {"ip": "203.0.113.9"}
    assert alert["unmapped"]["revision"] == 3


def check_close_superseded(alert: Alert) -> None:
    assert (alert["activity_id"], alert["type_uid"]) == (3, 200403)
    assert (alert["status_id"], alert["status"]) == (99, "Superseded")
    assert alert["status_detail"] == "superseded by finding ato-0000000002"
    assert alert["unmapped"]["superseded_by"] == "ato-0000000002"
    assert alert["is_alert"] is False


def check_close_plain(alert: Alert) -> None:
    assert (alert["status_id"], alert["status"], alert["is_alert"]) == (5, "Archived", False)
    assert "status_detail" not in alert


def check_ipv6(alert: Alert) -> None:
    assert _artifact(alert, "signin")["src_endpoint"]["ip"] == "2001:db8::1"
    assert "2001:db8::1" in _observable_values(alert, 2)


def check_no_geo(alert: Alert) -> None:
    assert _artifact(alert, "signin")["src_endpoint"] == {"ip": "198.51.100.7"}
    assert "device" not in _artifact(alert, "signin")
    assert _observable_values(alert, 14) == []


def check_coordinates_without_place(alert: Alert) -> None:
    # OCSF location needs a city/country/region: bare coordinates are not emitted.
    assert "location" not in _artifact(alert, "signin")["src_endpoint"]


def check_many_evidence(alert: Alert) -> None:
    sentences = [
        e["data"]["sentence"] for e in alert["evidences"] if "sentence" in e.get("data", {})
    ]
    assert sentences == [f"evidence number {i}" for i in range(60)]


def check_minimal(alert: Alert) -> None:
    assert "remediation" not in alert
    assert "attacks" not in alert["finding_info"]
    assert alert["finding_info"]["related_events_count"] == 0
    assert alert["observables"] == [
        {"name": "evidences[].user.name", "type_id": 4, "type": "User Name", "value": USER}
    ]


def check_privileged_mobile(alert: Alert) -> None:
    signin = _artifact(alert, "signin")
    assert signin["user"]["type_id"] == 2
    assert signin["device"]["type_id"] == 5 and signin["device"]["os"]["type_id"] == 301


def check_unknown_technique(alert: Alert) -> None:
    assert alert["finding_info"]["attacks"] == [
        {"technique": {"uid": "T1110"}, "sub_technique": {"uid": "T1110.003"}}
    ]


def check_low_confidence(alert: Alert) -> None:
    assert (alert["severity"], alert["confidence_id"], alert["confidence"]) == ("Low", 1, "Low")
    assert alert["unmapped"]["baseline_mature"] is False


MINIMAL = finding(
    changes=(),
    change_ids=(),
    signin=None,
    evidence=(),
    timeline=(),
    attacks=(),
    remediation=(),
    observables=Observables(),
    families=(),
    user_id=None,
)

CASES: list[tuple[str, Any, Callable[[Alert], None]]] = [
    ("create, full", BASE, check_create),
    ("create, MITRE mapping", BASE, check_attacks),
    (
        "update, no sign-in view",
        finding(activity="update", revision=3, signin=None, end_time=T0 + 9 * MINUTE),
        check_update_without_signin,
    ),
    (
        "close, superseded",
        finding(activity="close", revision=4, superseded_by="ato-0000000002"),
        check_close_superseded,
    ),
    ("close, no successor", finding(activity="close", revision=2), check_close_plain),
    (
        "IPv6 source",
        finding(
            signin=msgspec.structs.replace(SIGNIN, ip="2001:db8::1"),
            observables=Observables(ips=("2001:db8::1", "203.0.113.9")),
        ),
        check_ipv6,
    ),
    (
        "no geo, no device",
        finding(signin=SignInView(id="signin-1", time=T0 + MINUTE, ip="198.51.100.7")),
        check_no_geo,
    ),
    (
        "coordinates without country or city",
        finding(signin=SignInView(id="s", time=T0, ip="192.0.2.1", latitude=1.0, longitude=2.0)),
        check_coordinates_without_place,
    ),
    (
        "many evidence items",
        finding(
            evidence=tuple(
                Evidence(family="network", code=f"n.{i}", sentence=f"evidence number {i}", weight=1)
                for i in range(60)
            )
        ),
        check_many_evidence,
    ),
    ("minimal finding", MINIMAL, check_minimal),
    (
        "privileged target on an iPhone",
        finding(
            changes=(msgspec.structs.replace(BASE.changes[0], privileged_target=True),),
            signin=msgspec.structs.replace(SIGNIN, device_os="iOS 17.4"),
        ),
        check_privileged_mobile,
    ),
    ("technique missing from the table", finding(attacks=("T1110.003",)), check_unknown_technique),
    (
        "low score, immature baseline",
        finding(severity=Severity.LOW, score=25, baseline_mature=False),
        check_low_confidence,
    ),
]


@pytest.mark.parametrize(("finding_", "check"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_encoding(finding_: Any, check: Callable[[Alert], None]) -> None:
    alert = finding_to_ocsf(finding_, product_version="9.9.9")
    validate_alert(alert)
    check(alert)
    # what goes on the wire is the same document
    assert orjson.loads(encode_alert(finding_, product_version="9.9.9")) == alert


@pytest.mark.parametrize("finding_", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_encoding_is_deterministic(finding_: Any) -> None:
    first = encode_alert(finding_, product_version="1.0")
    rebuilt = msgspec.json.decode(msgspec.json.encode(finding_), type=type(finding_))
    assert encode_alert(rebuilt, product_version="1.0") == first
    assert first == orjson.dumps(orjson.loads(first), option=orjson.OPT_SORT_KEYS)


def test_alert_key_is_the_user() -> None:
    assert alert_key(finding(user="zoë@contoso.com")) == "zoë@contoso.com".encode()


def test_message_is_one_line() -> None:
    alert = finding_to_ocsf(finding(title="Takeover\nafter reset"), product_version="1")
    assert alert["message"] == f"Takeover after reset: {USER} (score 85, high)"


def test_malformed_technique_id_names_it() -> None:
    with pytest.raises(ValueError, match="T1078-004"):
        finding_to_ocsf(finding(attacks=("T1078-004",)), product_version="1")
