"""Application consents: the phone-guided consent phishing and its everyday look-alike."""

from __future__ import annotations

import random
from typing import Any

from correlator.simulate.attacks import attacker_number
from correlator.simulate.calls import pstn_call
from correlator.simulate.catalog import iso7
from correlator.simulate.records import by_user
from correlator.simulate.scenarios import change_day, label, minutes, pick_user
from correlator.simulate.tenant import User, guid
from correlator.simulate.world import World

DESCRIPTIONS = {
    "consent_phishing_call": "A caller posing as IT had the employee approve 'Mailbox Sync "
    "Assistant', which reads and sends mail with offline access.",
    "wellknown_app_consent": "After a customer's call, the employee signed in to Zoom for the "
    "first time and consented to its sign-in scopes.",
}


def consent_record(
    rng: random.Random, at: int, user: User, app: str, scopes: str, ip: str
) -> dict[str, Any]:
    """A Graph directoryAudit "Consent to application", as Core Directory logs it."""
    sp, corr = guid(rng), guid(rng)
    grant = (
        f'"[] => [[Id: {guid(rng)}, ClientId: {sp}, PrincipalId: {user.id}, ResourceId: '
        f"{guid(rng)}, ConsentType: Principal, Scope:  {scopes}, CreatedDateTime: , "
        'LastModifiedDateTime ]]; "'
    )
    return {
        "id": f"Directory_{corr}_{guid(rng)[:5].upper()}_{rng.randrange(10**8, 10**9)}",
        "category": "ApplicationManagement",
        "correlationId": corr,
        "result": "success",
        "resultReason": "",
        "activityDisplayName": "Consent to application",
        "activityDateTime": iso7(at, rng),
        "loggedByService": "Core Directory",
        "operationType": "Assign",
        "userAgent": None,
        "initiatedBy": by_user(user, ip),
        "targetResources": [
            {
                "id": sp,
                "displayName": app,
                "type": "ServicePrincipal",
                "userPrincipalName": None,
                "groupType": None,
                "modifiedProperties": [
                    {"displayName": "ConsentContext.IsAdminConsent", "oldValue": None,
                     "newValue": '"False"'},
                    {"displayName": "ConsentAction.Permissions", "oldValue": None,
                     "newValue": grant},
                ],
            }
        ],
        "additionalDetails": [{"key": "User-Agent", "value": "EvoSTS"}],
    }  # fmt: skip


def _call_then_consent(w: World, name: str, number: str, app: str, scopes: str) -> None:
    user = pick_user(w)
    at = w.local(change_day(w), w.rng.uniform(10.0, 15.0), user.site.office_v4.place.utc_offset)
    call = w.add_call(pstn_call(w.rng, at - minutes(w, 10, 40), user, number, 300))
    ip = user.site.office_v4.address(w.rng)
    changes = w.add_audits([consent_record(w.rng, at, user, app, scopes, ip)])
    attack = name == "consent_phishing_call"
    kind, expected = ("attack", "high") if attack else ("lookalike", "not_high")
    rules = ["consent-after-call"] if attack else []
    label(w, kind, name, user, at, changes, expected, DESCRIPTIONS[name], [], [call], rules)


def consent_phishing_call(w: World) -> None:
    scopes = "openid profile offline_access Mail.ReadWrite Mail.Send"
    _call_then_consent(
        w, "consent_phishing_call", attacker_number(w), "Mailbox Sync Assistant", scopes
    )


def wellknown_app_consent(w: World) -> None:
    customer = f"+1312555{w.rng.randrange(200, 1000):04d}"
    _call_then_consent(
        w, "wellknown_app_consent", customer, "Zoom", "openid profile email User.Read"
    )
