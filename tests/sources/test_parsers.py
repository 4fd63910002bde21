"""Field-level checks of each parser on fixture records."""

from __future__ import annotations

import contextlib
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from correlator.errors import InvalidRecord
from correlator.model import CallRecord, CredentialChange, SignIn
from correlator.sources import decode_payload, parse_record, sniff

from .fixtures import FIXTURES

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _events(name: str) -> list[object]:
    out: list[object] = []
    for record in decode_payload((FIXTURES / name).read_bytes()):
        with contextlib.suppress(InvalidRecord):  # rejects are covered by test_fixture_files
            out.extend(parse_record(record))
    return out


def _by_id(name: str) -> dict[str, object]:
    return {e.id: e for e in _events(name)}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("samples/microsoft-graph-docs/v1.0_signin-get_response.json", "graph.signin"),
        (
            "samples/microsoft-graph-docs/beta_directoryaudit-list_response.json",
            "graph.directory_audit",
        ),
        (
            "samples/microsoft-graph-docs/v1.0_callrecords-callrecord-get_response1.json",
            "graph.call_record",
        ),
        (
            "samples/microsoft-graph-docs/v1.0_callrecords-session-list_response1.json",
            "graph.call_session",
        ),
        (
            "samples/microsoft-graph-docs/v1.0_callrecords-callrecord-getpstncalls_response.json",
            "graph.pstn_call",
        ),
        (
            "samples/microsoft-graph-docs/v1.0_callrecords-callrecord-getdirectroutingcalls_response.json",
            "graph.direct_routing_call",
        ),
        (
            "samples/azure-docs/reference-azure-monitor-sign-ins-log-schema_example.json",
            "azure_monitor.signin",
        ),
        (
            "samples/azure-docs/reference-azure-monitor-audit-log-schema_example1_legacy_Audit_category_change_password_selfservice.json",
            "azure_monitor.audit",
        ),
        ("samples/otrf-security-datasets/AADAuditEvents.json", "log_analytics.audit"),
        ("quirks/log-analytics-signin.jsonl", "log_analytics.signin"),
        ("quirks/helpdesk-tickets.jsonl", "helpdesk.ticket"),
    ],
)
def test_sniff(name: str, fmt: str) -> None:
    assert sniff(decode_payload((FIXTURES / name).read_bytes())[0]) == fmt


def test_graph_v1_signin() -> None:
    (event,) = _events("samples/microsoft-graph-docs/v1.0_signin-get_response.json")
    assert isinstance(event, SignIn)
    assert (event.user, event.upn, event.user_id) == (
        "testaccount1@contoso.com",
        "testaccount1@contoso.com",
        "26be570a-ae82-4189-b4e2-a37c6808512d",
    )
    assert event.time == 1584126941619 and event.success and event.error_code == 0
    assert (event.ip, event.device_id, event.device_os) == ("131.107.159.37", None, "Windows 10")
    assert (event.log_country, event.log_city) == ("US", "Redmond")
    assert event.log_latitude == pytest.approx(47.6805) and event.source_format == "graph"


def test_beta_signins() -> None:
    (failed,) = _events("samples/microsoft-graph-docs/beta_signin-get_response.json")
    assert isinstance(failed, SignIn)
    assert not failed.success and failed.error_code == 50126 and failed.log_asn == 3598
    assert failed.failure_reason and failed.user_agent and failed.interactive
    (other,) = _events("samples/microsoft-graph-docs/beta_signin-list_response3.json")
    assert isinstance(other, SignIn)
    # errorCode 0 with failureReason "Other." is a success.
    assert other.success and other.failure_reason is None and not other.interactive
    assert (other.device_name, other.device_trust, other.device_compliant) == (
        "DESKTOP-LK3PESR",
        "Azure AD registered",
        False,
    )
    assert other.log_latitude is None  # geoCoordinates {}


def test_monitor_signin_quirks() -> None:
    events = _by_id("quirks/signin-offsets-and-levels.jsonl")
    offset = events["off-0001"]
    assert isinstance(offset, SignIn) and offset.time == 1714979289123  # -05:00 applied
    guid_upn = events["off-0002"]
    assert isinstance(guid_upn, SignIn)
    assert guid_upn.user == "0d0e0f10-1111-4222-8333-444455556666" and guid_upn.upn is None
    assert guid_upn.error_code == 50126 and not guid_upn.success  # errorCode as a string
    placeholder_ip = events["off-0003"]
    assert (
        isinstance(placeholder_ip, SignIn) and placeholder_ip.ip == "203.0.113.10"
    )  # callerIpAddress
    (adfs,) = _events("quirks/signin-us-time-and-string-duration.jsonl")
    assert isinstance(adfs, SignIn)
    assert (
        adfs.category == "ADFSSignInLogs" and adfs.log_latitude is None and adfs.device_os is None
    )
    assert adfs.time == 1741096680000  # createdDateTime preferred over the US envelope time


def test_properties_as_json_string() -> None:
    (event,) = _events("quirks/signin-noninteractive-properties-as-string.jsonl")
    assert isinstance(event, SignIn)
    assert not event.interactive and event.device_managed and event.device_compliant
    assert (
        event.mfa_method == "Previously satisfied"
        and event.category == "NonInteractiveUserSignInLogs"
    )


def test_log_analytics_signin() -> None:
    (event,) = _events("quirks/log-analytics-signin.jsonl")
    assert isinstance(event, SignIn)
    assert (event.ip, event.device_name, event.log_city, event.log_asn) == (
        "2001:db8::10",
        "PC-7",
        "Porto",
        64501,
    )
    assert (
        event.risk_event_types == ("unfamiliarFeatures",) and event.source_format == "log-analytics"
    )


def test_audit_actor_and_target() -> None:
    events = _by_id("quirks/graph-directory-audit-page.json")
    admin = events["Directory_quirk_002"]
    assert isinstance(admin, CredentialChange)
    assert (admin.kind, admin.actor, admin.actor_kind, admin.by_other) == (
        "password_reset",
        "agent.smith@fabrikam.example",
        "admin",
        True,
    )
    assert admin.actor_ip == "198.51.100.20" and admin.source == "audit"
    self_reset = events["Directory_quirk_003"]
    assert isinstance(self_reset, CredentialChange)
    assert (self_reset.kind, self_reset.actor_kind, self_reset.by_other) == (
        "self_service_reset",
        "user",
        False,
    )
    sspr_app = events["Directory_quirk_015"]
    assert isinstance(sspr_app, CredentialChange)
    assert (sspr_app.actor_kind, sspr_app.by_other) == ("system", False)
    tap = events["Directory_quirk_004"]
    assert isinstance(tap, CredentialChange) and (tap.kind, tap.method) == (
        "temporary_access_pass",
        "tap",
    )
    privileged = events["Directory_quirk_016"]
    assert isinstance(privileged, CredentialChange) and privileged.privileged_target


def test_audit_monitor_quirks() -> None:
    events = _by_id("quirks/audit-monitor-quirks.jsonl")
    ipv6 = events["Directory_quirk_101"]
    assert (
        isinstance(ipv6, CredentialChange) and ipv6.actor_ip == "198.51.100.20"
    )  # initiator IP wins
    malformed = events["Directory_quirk_102"]
    # Mixed-case UPN normalised; empty initiator IP and malformed caller IPv6 become None.
    assert isinstance(malformed, CredentialChange)
    assert malformed.actor == "agent.smith@fabrikam.example" and malformed.actor_ip is None


def test_legacy_audit_and_beta_update_user() -> None:
    (legacy,) = _events(
        "samples/azure-docs/reference-azure-monitor-audit-log-schema_example1_legacy_Audit_category_change_password_selfservice.json"
    )
    assert isinstance(legacy, CredentialChange)
    assert (legacy.user, legacy.kind, legacy.actor_kind) == (
        "sreens@wingtiptoysonline.com",
        "self_service_reset",
        "user",
    )
    (beta,) = _events("samples/microsoft-graph-docs/beta_directoryaudit-list_response.json")
    assert isinstance(beta, CredentialChange)
    # Two methods became four; initiator and target share a (documentation) id but not a UPN.
    assert (beta.kind, beta.user, beta.actor, beta.by_other) == (
        "mfa_method_added",
        "tuser@contoso.com",
        "tadmin@contoso.com",
        True,
    )


def test_calls() -> None:
    pstn = _by_id("quirks/pstn-and-direct-routing-page.json")
    inbound = pstn["pstn-1"]
    assert isinstance(inbound, CallRecord)
    assert (inbound.user, inbound.caller_number, inbound.direction, inbound.external) == (
        "dana.reyes@fabrikam.example",
        "+447700900123",
        "inbound",
        True,
    )
    assert pstn["pstn-2"].direction == "outbound"  # type: ignore[attr-defined]
    masked = pstn["dr-1"]
    assert (
        isinstance(masked, CallRecord)
        and masked.caller_number == "+44770090****"
        and masked.end is None
    )
    calls = _by_id("quirks/call-records.json")
    assert calls["call-pstn-session:dana.reyes@fabrikam.example"].caller_number == "+14255550199"  # type: ignore[attr-defined]
    internal = calls["call-v2-participants:lee.park@fabrikam.example"]
    assert isinstance(internal, CallRecord) and not internal.external
    assert calls["call-federated:lee.park@fabrikam.example"].external  # type: ignore[attr-defined]
    (p2p,) = _events("samples/microsoft-graph-docs/v1.0_callrecords-callrecord-get_response1.json")
    assert (
        isinstance(p2p, CallRecord)
        and p2p.user == "f69e2c00-0000-0000-0000-185e5f5f5d8a"
        and not p2p.external
    )


def test_helpdesk_ticket() -> None:
    (first, second) = _events("quirks/helpdesk-tickets.jsonl")
    assert isinstance(first, CredentialChange)
    assert (first.user, first.kind, first.source, first.actor_kind, first.by_other) == (
        "dana.reyes@fabrikam.example",
        "mfa_reset",
        "ticket",
        "helpdesk",
        True,
    )
    assert (first.caller_number, first.caller_verified, first.channel, first.privileged_target) == (
        "+14255550199",
        False,
        "phone",
        True,
    )
    assert isinstance(second, CredentialChange) and second.time == 1714975800500  # +02:00


def test_helpdesk_fixtures_against_the_schema() -> None:
    schema = orjson.loads((SCHEMAS / "helpdesk-credential-change.schema.json").read_bytes())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    records = decode_payload((FIXTURES / "quirks/helpdesk-tickets.jsonl").read_bytes())
    valid = [validator.is_valid(r) for r in records]
    assert valid == [True, True, False, False, False, False]  # the parser rejects the same four


@pytest.mark.parametrize(
    "name", ["signin.schema.json", "directory-audit.schema.json", "call-record.schema.json"]
)
def test_input_schemas_are_valid(name: str) -> None:
    Draft202012Validator.check_schema(orjson.loads((SCHEMAS / name).read_bytes()))
