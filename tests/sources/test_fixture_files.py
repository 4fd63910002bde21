"""Every record of every fixture file parses or is rejected with a documented reason."""

from __future__ import annotations

import pytest

from correlator.errors import InvalidRecord
from correlator.sources import REASONS, decode_lines, parse_record

from .fixtures import FIXTURES, RECORD_FILES, outcome

# file -> events by kind (credential changes by change kind) and rejects as "!reason".
EXPECTED: dict[str, dict[str, int]] = {
    # Our own records reproducing exporter quirks (invented values).
    "quirks/audit-monitor-quirks.jsonl": {
        # IPv6 and malformed IPv6 callers, roles as a string, properties as a string, US time
        "password_reset": 4,
        "!irrelevant_activity": 1,  # "Update device"
        "!failed_operation": 1,  # registered security info with result failure
        "!missing_field": 1,  # AuditLogs record with only time and category
    },
    "quirks/bom-graph-page.json": {"signin": 2},  # BOM + trailing commas
    "quirks/call-records.json": {"call": 5, "!missing_user": 1},  # organizer_v2 only: no callee
    "quirks/graph-directory-audit-page.json": {
        "password_reset": 2,
        "self_service_reset": 2,
        "temporary_access_pass": 1,
        "mfa_method_added": 1,
        "phone_changed": 2,
        "mfa_method_removed": 2,
        "mfa_reset": 2,
        "!irrelevant_activity": 2,  # Update user without MFA attributes; SSPR progress
        "!failed_operation": 1,
        "!placeholder_value": 1,
        "!missing_user": 1,  # the only target is a group
    },
    "quirks/helpdesk-tickets.jsonl": {
        "mfa_reset": 1,
        "temporary_access_pass": 1,
        "!invalid_field": 2,  # action self_service_reset; caller_verified "yes"
        "!missing_user": 1,
        "!missing_field": 1,  # no id
    },
    "quirks/json-lines-with-broken-line.jsonl": {
        "signin": 2,
        "!malformed_json": 1,
        "!unsupported_category": 1,
        "!not_an_object": 1,
        "!invalid_field": 1,
        "!unknown_format": 1,
    },
    "quirks/log-analytics-audit.jsonl": {
        "password_reset": 1,
        "temporary_access_pass": 1,  # Type overwritten by a query column
        "!irrelevant_activity": 1,
    },
    "quirks/log-analytics-signin.jsonl": {"signin": 1, "!service_principal": 1},
    "quirks/pstn-and-direct-routing-page.json": {"call": 3, "!missing_user": 1},
    "quirks/signin-missing-time.jsonl": {"signin": 1, "!missing_time": 2},  # PascalCase; none
    "quirks/signin-noninteractive-properties-as-string.jsonl": {"signin": 1},
    "quirks/signin-offsets-and-levels.jsonl": {"signin": 3},
    "quirks/signin-time-formats.jsonl": {"signin": 15, "!invalid_time": 3},
    "quirks/signin-us-time-and-string-duration.jsonl": {"signin": 1, "!service_principal": 1},
    "quirks/signin-workload-categories.jsonl": {"!service_principal": 3},
    # Public samples (see samples/ATTRIBUTION.md).
    "samples/azure-docs/reference-azure-monitor-audit-log-schema_example1_legacy_Audit_category_change_password_selfservice.json": {  # noqa: E501
        "self_service_reset": 1
    },
    "samples/azure-docs/reference-azure-monitor-audit-log-schema_example2_legacy_Audit_category_update_service_principal.json": {  # noqa: E501
        "!irrelevant_activity": 1
    },
    "samples/azure-docs/reference-azure-monitor-audit-log-schema_example3_AuditLogs_records_envelope_update_policy.json": {  # noqa: E501
        "!irrelevant_activity": 1
    },
    "samples/azure-docs/reference-azure-monitor-sign-ins-log-schema_example.json": {
        "!placeholder_value": 1  # "<USER PRINCIPAL NAME>", "<USER ID>"
    },
    "samples/azure-monitor-docs/resource-logs_eventhub_records_envelope_example.json": {
        "!unsupported_category": 2  # Logic Apps WorkflowRuntime
    },
    "samples/microsoft-graph-docs/beta_directoryaudit-list_response.json": {"mfa_method_added": 1},
    "samples/microsoft-graph-docs/beta_signin-get_response.json": {"signin": 1},
    "samples/microsoft-graph-docs/beta_signin-list_response1.json": {"signin": 1},
    "samples/microsoft-graph-docs/beta_signin-list_response2.json": {"signin": 1},
    "samples/microsoft-graph-docs/beta_signin-list_response3.json": {"signin": 1},
    "samples/microsoft-graph-docs/v1.0_callrecords-callrecord-get_response1.json": {"call": 1},
    "samples/microsoft-graph-docs/v1.0_callrecords-callrecord-get_response2.json": {"call": 1},
    "samples/microsoft-graph-docs/v1.0_callrecords-callrecord-getdirectroutingcalls_response.json": {  # noqa: E501
        "call": 1
    },
    "samples/microsoft-graph-docs/v1.0_callrecords-callrecord-getpstncalls_response.json": {
        "call": 1
    },
    "samples/microsoft-graph-docs/v1.0_callrecords-session-list_response1.json": {"call": 1},
    "samples/microsoft-graph-docs/v1.0_callrecords-session-list_response2.json": {"call": 1},
    "samples/microsoft-graph-docs/v1.0_directoryaudit-get_response.json": {
        "!irrelevant_activity": 1
    },
    "samples/microsoft-graph-docs/v1.0_directoryaudit-list_response.json": {
        "!irrelevant_activity": 1
    },
    "samples/microsoft-graph-docs/v1.0_signin-get_response.json": {"signin": 1},
    "samples/microsoft-graph-docs/v1.0_signin-list_response1.json": {"signin": 1},
    "samples/microsoft-graph-docs/v1.0_signin-list_response2.json": {"signin": 1},
    "samples/otrf-security-datasets/AADAuditEvents.json": {"!irrelevant_activity": 4},
    "samples/panther-analysis/azure_signin_rules_test_events.jsonl": {
        "signin": 18,  # 15 SignInLogs + 3 NonInteractiveUserSignInLogs
        "!service_principal": 8,
        "!irrelevant_activity": 21,  # policy, role, invite, federation, app changes
    },
}


def _name(path: object) -> str:
    return str(path).split("fixtures/", 1)[-1]


@pytest.mark.parametrize("path", RECORD_FILES, ids=_name)
def test_every_record_parses_or_is_rejected_with_a_documented_reason(path: object) -> None:
    for _, record in decode_lines(path.read_bytes()):  # type: ignore[attr-defined]
        try:
            events = parse_record(record)
        except InvalidRecord as error:
            assert error.reason in REASONS
            continue
        assert events


def test_the_expectation_table_covers_every_fixture_file() -> None:
    names = {p.relative_to(FIXTURES).as_posix() for p in RECORD_FILES}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_outcome_per_file(name: str) -> None:
    assert dict(outcome(FIXTURES / name)) == EXPECTED[name]
