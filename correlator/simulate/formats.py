"""Graph beta ``signIn`` records, shaped like the ones ``/beta/auditLogs/signIns`` returns.

Field names, nesting and casing follow Microsoft's published examples (see the samples'
PROVENANCE.md): ``status``/``deviceDetail``/``location`` objects, the beta-only fields
(``signInEventTypes``, ``authenticationDetails``, ``autonomousSystemNumber``...), times in UTC
with a ``Z`` and seven fractional digits as Graph prints them.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from correlator.simulate.catalog import APPS, ERRORS, METHODS, STRONG, iso7, iso_seconds
from correlator.simulate.network import Net
from correlator.simulate.tenant import Device, User, guid

_PROCESSING = {
    flag: [
        {"key": "Login Hint Present", "value": str(flag)},
        {"key": "Is CAE Token", "value": "False"},
    ]
    for flag in (True, False)
}
_PRIVATE_LINK = {"policyId": "", "policyName": "", "resourceId": "", "policyTenantId": ""}


@dataclass(slots=True)
class Sign:
    """What happened at one sign-in; ``signin_record`` turns it into the Graph record."""

    user: User
    at: int  # epoch ms
    net: Net
    ip: str
    device: Device
    app: str = "officehome"
    interactive: bool = True
    error: int = 0
    methods: tuple[str, ...] = ("Password", "Mobile app notification")
    risk: str = "none"
    risk_events: tuple[str, ...] = ()
    detail: str | None = None  # status.additionalDetails of a failure (how MFA failed)


def _request_id(rng: random.Random) -> str:
    # ESTS request ids (the signIn id) end in a byte pair like "...0e00".
    return f"{guid(rng)[:-4]}{rng.randrange(256):02x}00"


def _auth_details(s: Sign) -> list[dict[str, Any]]:
    steps = s.methods if s.error != 50126 else s.methods[:1]
    stamp = iso_seconds(s.at)
    out = []
    for i, method in enumerate(steps):
        detail, requirement, ok_text, _ = METHODS[method]
        # A refused MFA prompt fails the last step; a bad password fails the first.
        failed = s.error == 50126 or (s.error == 500121 and i == len(steps) - 1)
        out.append(
            {
                "authenticationStepDateTime": stamp,
                "authenticationMethod": method,
                "authenticationMethodDetail": detail,
                "succeeded": not failed,
                "authenticationStepResultDetail": (
                    (
                        s.detail
                        or "Invalid username or password or Invalid on-premise username "
                        "or password."
                    )
                    if failed
                    else ok_text
                ),
                "authenticationStepRequirement": requirement,
            }
        )
    return out


@cache
def _network_names(kind: str, city: str) -> list[dict[str, Any]]:
    if kind == "office":
        return [{"networkType": "trustedNamedLocation", "networkNames": [f"{city} HQ"]}]
    if kind == "corp_vpn":
        return [{"networkType": "namedNetwork", "networkNames": ["Corporate VPN egress"]}]
    return []


def _device_detail(d: Device) -> dict[str, Any]:
    return {
        "deviceId": d.id,
        "displayName": d.name,
        "operatingSystem": d.os,
        "browser": d.browser,
        "isCompliant": d.compliant,
        "isManaged": d.managed,
        "trustType": d.trust,
    }


def _location(net: Net) -> dict[str, Any]:
    p = net.place
    return {
        "city": p.city,
        "state": p.subdivision,
        "countryOrRegion": p.country,
        "geoCoordinates": {"altitude": None, "latitude": p.latitude, "longitude": p.longitude},
    }


def ca_policies(rng: random.Random) -> tuple[tuple[str, str, list[str], list[str]], ...]:
    """The tenant's Conditional Access policies: (id, name, grant controls, session controls)."""
    return (
        (guid(rng), "CA001: Require MFA for all users", ["Mfa"], []),
        (guid(rng), "CA002: Block legacy authentication", ["Block"], []),
        (guid(rng), "CA003: Require compliant device for admins (report-only)",
         ["RequireCompliantDevice"], []),
        (guid(rng), "CA004: Sign-in frequency on unmanaged devices", [], ["SignInFrequency"]),
    )  # fmt: skip


@dataclass
class SignInContext:
    """Tenant-wide constants of sign-in records, and caches of their shared parts.

    Records share nested objects that are the same for many sign-ins (location, deviceDetail,
    policy results): that halves memory and time at 100k records. Treat records as read-only;
    copy one (e.g. a JSON round trip) before changing anything nested in it.
    """

    tenant_id: str
    policies: tuple[tuple[str, str, list[str], list[str]], ...]
    resource_sp: dict[str, str]  # resourceServicePrincipalId per app name, stable per tenant
    _locations: dict[int, dict[str, Any]] = field(default_factory=dict)
    _devices: dict[int, dict[str, Any]] = field(default_factory=dict)
    _applied: dict[tuple[str, ...], list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def create(cls, rng: random.Random, tenant_id: str) -> SignInContext:
        return cls(tenant_id, ca_policies(rng), {name: guid(rng) for name in APPS})

    def location(self, net: Net) -> dict[str, Any]:
        found = self._locations.get(id(net))
        if found is None:
            found = self._locations[id(net)] = _location(net)
        return found

    def device(self, device: Device) -> dict[str, Any]:
        found = self._devices.get(id(device))
        if found is None:
            found = self._devices[id(device)] = _device_detail(device)
        return found

    def applied(self, s: Sign) -> list[dict[str, Any]]:
        results = _policy_results(s)
        found = self._applied.get(results)
        if found is None:
            found = self._applied[results] = _applied_policies(self.policies, results)
        return found


def _policy_results(s: Sign) -> tuple[str, str, str, str]:
    mfa = "success" if s.error == 0 else "failure" if s.error == 53003 else "notApplied"
    admin = "notEnabled"
    if s.user.privileged:
        admin = "reportOnlySuccess" if s.device.compliant else "reportOnlyFailure"
    unmanaged = "notApplied" if s.device.managed else ("success" if s.error == 0 else "notApplied")
    return mfa, "notApplied", admin, unmanaged


def _applied_policies(policies: Any, results: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for (pid, name, grants, sessions), result in zip(policies, results, strict=True):
        applied = result not in ("notApplied", "notEnabled")
        out.append(
            {
                "id": pid,
                "displayName": name,
                "enforcedGrantControls": grants if applied else [],
                "enforcedSessionControls": sessions if applied else [],
                "result": result,
                "conditionsSatisfied": "application,users" if applied else "none",
                "conditionsNotSatisfied": "none" if applied else "application",
                "includeRulesSatisfied": [],
                "excludeRulesSatisfied": [],
            }
        )
    return out


def signin_record(rng: random.Random, ctx: SignInContext, s: Sign) -> dict[str, Any]:
    """One Graph beta signIn object (about 4 KB as compact JSON, like real beta records)."""
    sid = _request_id(rng)
    app_name, app_id, res_name, res_id, client = APPS[s.app]
    success = s.error == 0
    return {
        "id": sid,
        "createdDateTime": iso7(s.at, rng),
        "userDisplayName": s.user.name,
        "userPrincipalName": s.user.upn,
        "userId": s.user.id,
        "appId": app_id,
        "appDisplayName": app_name,
        "ipAddress": s.ip,
        "ipAddressFromResourceProvider": None,
        "clientAppUsed": client,
        "userAgent": s.device.user_agent,
        "correlationId": guid(rng),
        "conditionalAccessStatus": "success" if success else "failure",
        "originalRequestId": sid,
        "isInteractive": s.interactive,
        "tokenIssuerName": "",
        "tokenIssuerType": "AzureAD",
        "processingTimeInMilliseconds": rng.randrange(40, 900),
        "riskDetail": "none",
        "riskLevelAggregated": s.risk,
        "riskLevelDuringSignIn": s.risk,
        "riskState": "atRisk" if s.risk_events else "none",
        "riskEventTypes": list(s.risk_events),
        "riskEventTypes_v2": list(s.risk_events),
        **_signin_tail(ctx, s, sid, res_name, res_id),
    }


def _signin_tail(
    ctx: SignInContext, s: Sign, sid: str, res_name: str, res_id: str
) -> dict[str, Any]:
    """The second half of a signIn: resource, tenant, authentication and token fields."""
    strong = any(m in STRONG for m in s.methods)
    return {
        "resourceDisplayName": res_name,
        "resourceId": res_id,
        "resourceTenantId": ctx.tenant_id,
        "homeTenantId": ctx.tenant_id,
        "homeTenantName": "",
        "authenticationMethodsUsed": [],
        "authenticationRequirement": (
            "multiFactorAuthentication" if strong else "singleFactorAuthentication"
        ),
        "signInIdentifier": s.user.upn if s.interactive else "",
        "signInIdentifierType": None,
        "servicePrincipalName": "",
        "signInEventTypes": ["interactiveUser" if s.interactive else "nonInteractiveUser"],
        "servicePrincipalId": "",
        "federatedCredentialId": "",
        "userType": "member",
        "flaggedForReview": False,
        "isTenantRestricted": False,
        "autonomousSystemNumber": s.net.asn,
        "crossTenantAccessType": "none",
        "servicePrincipalCredentialKeyId": "",
        "servicePrincipalCredentialThumbprint": "",
        "uniqueTokenIdentifier": base64.b64encode(sid.encode()).decode(),
        "incomingTokenType": "primaryRefreshToken" if s.device.managed else "none",
        "authenticationProtocol": "none",
        "resourceServicePrincipalId": ctx.resource_sp[s.app],
        **_signin_details(ctx, s),
    }


def _signin_details(ctx: SignInContext, s: Sign) -> dict[str, Any]:
    """The nested objects of a signIn: MFA, status, device, location, policies, steps."""
    mfa = next((METHODS[m][3] for m in s.methods if METHODS[m][3]), None)
    success = s.error == 0
    return {
        "mfaDetail": {"authMethod": mfa, "authDetail": None} if mfa and success else None,
        "status": {
            "errorCode": s.error,
            "failureReason": ERRORS[s.error],
            "additionalDetails": None
            if success
            else s.detail
            or "The user didn't enter the right credentials or was blocked by policy.",
        },
        "deviceDetail": ctx.device(s.device),
        "location": ctx.location(s.net),
        "appliedConditionalAccessPolicies": ctx.applied(s),
        "authenticationProcessingDetails": _PROCESSING[s.interactive],
        "networkLocationDetails": _network_names(s.net.kind, s.net.place.city),
        "authenticationDetails": _auth_details(s) if s.interactive else [],
        "authenticationRequirementPolicies": [],
        "sessionLifetimePolicies": [],
        "privateLinkDetails": _PRIVATE_LINK,
    }
