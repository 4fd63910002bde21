"""The audit activity -> credential-change mapping, one row per activity."""

from __future__ import annotations

import json

import pytest

from correlator.sources.activities import classify, method_from


def _update_user(name: str, old: object, new: object) -> list[dict[str, object]]:
    prop = {"displayName": name, "oldValue": json.dumps(old), "newValue": json.dumps(new)}
    return [{"type": "User", "modifiedProperties": [prop]}]


SAM_TWO = [{"MethodType": 6, "Default": True}, {"MethodType": 7, "Default": False}]
PHONE_A = [{"PhoneNumber": "+1 4255550100", "AlternativePhoneNumber": None}]
PHONE_B = [{"PhoneNumber": "+44 7700900123", "AlternativePhoneNumber": None}]

# (activity, targets, evidence text, expected (kind, method) or None)
TABLE = [
    # Admin resets through the portal (SSPR service logs it).
    ("Reset password (by admin)", [], "", ("password_reset", "password")),
    # Core Directory reset; audit.py turns it into self-service when the user did it.
    ("Reset user password", [], "", ("password_reset", "password")),
    ("Change user password", [], "", ("password_reset", "password")),
    ("Reset password (self-service)", [], "", ("self_service_reset", "password")),
    ("Change password (self-service)", [], "", ("self_service_reset", "password")),
    # Progress events of the SSPR flow are not a completed reset.
    ("Self-service password reset flow activity progress", [], "", None),
    # Security info registration: the resultReason names the method; a TAP is its own kind.
    (
        "Admin registered security info",
        [],
        "admin registered temporary access pass method for user",
        ("temporary_access_pass", "tap"),
    ),
    (
        "User registered security info",
        [],
        "user registered authenticator app with notification and code",
        ("mfa_method_added", "authenticator"),
    ),
    ("User registered all required security info", [], "", ("mfa_method_added", None)),
    # Updates: a phone change is its own kind, anything else counts as a new method.
    (
        "Admin updated security info",
        [],
        "admin updated phone method for user",
        ("phone_changed", "phone"),
    ),
    (
        "User changed default security info",
        [],
        "user changed default sign in method to fido2",
        ("mfa_method_added", "fido2"),
    ),
    (
        "Admin deleted security info",
        [],
        "admin deleted authenticator app for user",
        ("mfa_method_removed", "authenticator"),
    ),
    ("User deleted security info", [], "", ("mfa_method_removed", None)),
    ("Disable Strong Authentication", [], "", ("mfa_reset", None)),
    # Trailing dot and case differences seen in exports.
    ("reset user password.", [], "", ("password_reset", "password")),
    # Update user: only the legacy MFA attributes matter.
    (
        "Update user",
        _update_user("StrongAuthenticationMethod", SAM_TWO, []),
        "",
        ("mfa_reset", None),
    ),
    (
        "Update user",
        _update_user("StrongAuthenticationMethod", SAM_TWO, SAM_TWO[:1]),
        "",
        ("mfa_reset", None),
    ),
    (
        "Update user",
        _update_user("StrongAuthenticationMethod", SAM_TWO[:1], SAM_TWO),
        "",
        ("mfa_method_added", None),
    ),
    # Only the default flag changed: no method added or removed.
    (
        "Update user",
        _update_user(
            "StrongAuthenticationMethod",
            SAM_TWO,
            [{**SAM_TWO[0], "Default": False}, {**SAM_TWO[1], "Default": True}],
        ),
        "",
        None,
    ),
    (
        "Update user",
        _update_user("StrongAuthenticationPhoneAppDetail", [], [{"Id": "x"}]),
        "",
        ("mfa_method_added", "authenticator"),
    ),
    (
        "Update user",
        _update_user("StrongAuthenticationUserDetails", PHONE_A, PHONE_B),
        "",
        ("phone_changed", "phone"),
    ),
    ("Update user", _update_user("StrongAuthenticationUserDetails", PHONE_A, PHONE_A), "", None),
    ("Update user", _update_user("DisplayName", ["a"], ["b"]), "", None),
    # Other activities.
    ("Add member to group", [], "", None),
    ("Update service principal", [], "", None),
    ("Enable Strong Authentication", [], "", None),
]


@pytest.mark.parametrize(("activity", "targets", "evidence", "expected"), TABLE)
def test_mapping(activity: str, targets: list[object], evidence: str, expected: object) -> None:
    assert classify(activity, targets, evidence) == expected


def test_doubly_encoded_modified_values() -> None:
    # Some exports JSON-encode the JSON list once more ("\"[...]\"").
    prop = {
        "displayName": "StrongAuthenticationMethod",
        "oldValue": json.dumps(json.dumps(SAM_TWO)),
        "newValue": json.dumps("[]"),
    }
    assert classify("Update user", [{"modifiedProperties": [prop]}], "") == ("mfa_reset", None)


@pytest.mark.parametrize(
    ("evidence", "method"),
    [("sms sign-in", "phone"), ("windows hello for business", "windows_hello"), ("nothing", None)],
)
def test_method_words(evidence: str, method: str | None) -> None:
    assert method_from(evidence) == method
