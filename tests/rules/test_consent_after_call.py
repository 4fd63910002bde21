"""Table-driven cases for consent-after-call, and the audit record it reads."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from correlator.config import MINUTE_MS, DetectionConfig
from correlator.engine.engine import Engine
from correlator.model import AppConsent, Severity
from correlator.rules.consent_after_call import RULE
from correlator.sources import parse_record
from tests.engine.builders import T0, USER, call, change, history
from tests.rules.cases import Case, check, run

MAIL = ("openid", "profile", "offline_access", "Mail.ReadWrite", "Mail.Send")
BASIC = ("openid", "profile", "User.Read")


def consent(cid: str, minutes: float, scopes: tuple[str, ...] = MAIL, app: str = "Mail Sync",
            admin: bool = False) -> AppConsent:  # fmt: skip
    return AppConsent(id=cid, time=T0 + int(minutes * MINUTE_MS), user=USER, app=app,
                      app_id=f"sp-{app}", permissions=scopes, admin_consent=admin)  # fmt: skip


CASES = [
    # "IT" calls; twenty minutes later the user approves an app that reads and sends mail.
    Case(
        "call, then mail scopes",
        history() + [call("c1", 0), consent("k1", 20)],
        Severity.HIGH,
        ("call.external", "consent.scopes"),
    ),
    # After a helpdesk reset (the attacker's first session), the same consent.
    Case(
        "reset, then mail scopes",
        history() + [change("r1", 0), consent("k1", 30)],
        Severity.HIGH,
        ("change.before",),
    ),
    # Sign-in scopes only, but kept offline and for everyone: worth a look.
    Case(
        "admin consent, basic scopes",
        [call("c1", 0), consent("k1", 5, ("openid", "offline_access"), admin=True)],
        Severity.MEDIUM,
    ),
    # Look-alike: a well-known app with sign-in scopes after a customer's call.
    Case("well-known app, sign-in scopes", [call("c1", 0), consent("k1", 10, BASIC, "Zoom")], None),
    # Look-alike: the same risky consent to an app the tenant trusts.
    Case(
        "trusted app",
        [call("c1", 0), consent("k1", 10, app="Zoom")],
        None,
        config=DetectionConfig(consent_trusted_apps=("zoom",)),
    ),
    # Look-alike: a consent with no call or change before it.
    Case("no call before", history() + [consent("k1", 0)], None),
    # Look-alike: the call was the morning before.
    Case("call long before", [call("c1", -600), consent("k1", 0)], None),
    # Look-alike: an internal call.
    Case("internal call", [replace(call("c1", 0), external=False), consent("k1", 5)], None),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    check(case, run([RULE], case.events, case.config), "consent-after-call")


def test_a_late_call_revises_the_consent_it_preceded() -> None:
    events = [call("c1", 0), consent("k1", 20)]
    assert Engine(DetectionConfig(), rules=[RULE]).process_many(list(reversed(events)))


CONSENT_RECORD = {
    "id": "Directory_5f1c_consent_1",
    "category": "ApplicationManagement",
    "result": "success",
    "activityDisplayName": "Consent to application",
    "activityDateTime": "2026-10-05T14:03:11.2843211Z",
    "loggedByService": "Core Directory",
    "initiatedBy": {"user": {"id": "0b7f", "userPrincipalName": "Alice@Northwind.test"}},
    "targetResources": [
        {
            "id": "9a1e-sp",
            "displayName": "Mail Sync",
            "type": "ServicePrincipal",
            "modifiedProperties": [
                {
                    "displayName": "ConsentContext.IsAdminConsent",
                    "oldValue": None,
                    "newValue": '"False"',
                },
                {
                    "displayName": "ConsentAction.Permissions",
                    "oldValue": None,
                    "newValue": '"[] => [[Id: x, ClientId: 9a1e-sp, PrincipalId: 0b7f, '
                    "ResourceId: 33c1, ConsentType: Principal, Scope:  openid "
                    'Mail.ReadWrite offline_access, CreatedDateTime: , ]]; "',
                },
            ],
        }
    ],
}


def test_the_audit_record_becomes_a_consent() -> None:
    (event,) = parse_record(CONSENT_RECORD)
    assert isinstance(event, AppConsent)
    assert event.user == "alice@northwind.test" and event.app == "Mail Sync"
    assert event.permissions == ("openid", "Mail.ReadWrite", "offline_access")
    assert event.admin_consent is False
