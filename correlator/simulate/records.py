"""Graph ``directoryAudit`` records, helpdesk tickets and Graph ``pstnCallLogRow`` records.

Audit shapes follow the beta ``directoryAudit`` example (ids ``<service>_<correlationId>_<5
chars>_<number>``, ``initiatedBy.user`` with ``homeTenantId``, ``modifiedProperties`` values as
JSON strings). One admin action often logs several records from different services, as Entra
does: a password reset by an admin logs "Reset user password" (Core Directory) and "Reset
password (by admin)" (Self-service Password Management) within a second or two.
"""

from __future__ import annotations

import random
import string
from typing import Any

from correlator.simulate.catalog import iso7
from correlator.simulate.tenant import User, guid

CORE = "Core Directory"
SSPR = "Self-service Password Management"
AUTH_METHODS = "Authentication Methods"
_ID_PREFIX = {CORE: "Directory", SSPR: "SSPR", AUTH_METHODS: "Authentication Methods"}
AUTHENTICATOR = "Authenticator App with Notification and Code"
# StrongAuthenticationMethod MethodType values as the directory logs them (6 = app notification,
# 7 = app OTP, 0 = one-way SMS, 5 = phone call).
_DEFAULT_METHODS = '[{"MethodType":6,"Default":true},{"MethodType":7,"Default":false}]'


def _audit_id(rng: random.Random, service: str, corr: str) -> str:
    tag = "".join(rng.choices(string.ascii_uppercase + string.digits, k=5))
    return f"{_ID_PREFIX[service]}_{corr}_{tag}_{rng.randrange(10**7, 10**9)}"


def by_user(user: User, ip: str) -> dict[str, Any]:
    return {
        "app": None,
        "user": {
            "id": user.id,
            "displayName": user.name,
            "userPrincipalName": user.upn,
            "ipAddress": ip,
            "userType": "Member",
            "homeTenantId": None,
            "homeTenantName": None,
        },
    }


def _target(user: User, modified: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": user.id,
            "displayName": user.name,
            "type": "User",
            "userPrincipalName": user.upn,
            "groupType": None,
            "modifiedProperties": modified,
        }
    ]


def _prop(name: str, old: str | None, new: str | None) -> dict[str, Any]:
    return {"displayName": name, "oldValue": old, "newValue": new}


def audit(
    rng: random.Random,
    at: int,
    activity: str,
    service: str,
    operation: str,
    reason: str,
    actor: dict[str, Any],
    target: User,
    modified: list[dict[str, Any]] | None = None,
    corr: str | None = None,
) -> dict[str, Any]:
    corr = corr or guid(rng)
    return {
        "id": _audit_id(rng, service, corr),
        "category": "UserManagement",
        "correlationId": corr,
        "result": "success",
        "resultReason": reason,
        "activityDisplayName": activity,
        "activityDateTime": iso7(at, rng),
        "loggedByService": service,
        "operationType": operation,
        "userAgent": None,
        "initiatedBy": actor,
        "targetResources": _target(target, modified or []),
        "additionalDetails": [{"key": "UserType", "value": "Member"}],
    }


def admin_password_reset(
    rng: random.Random, at: int, agent: User, target: User, ip: str
) -> list[dict[str, Any]]:
    """An admin/helpdesk reset: the directory write and the password service's own record."""
    corr = guid(rng)
    actor = by_user(agent, ip)
    return [
        audit(rng, at, "Reset user password", CORE, "Reset", "", actor, target, corr=corr),
        audit(
            rng,
            at + rng.randrange(300, 2500),
            "Reset password (by admin)",
            SSPR,
            "Update",
            "Successfully completed reset.",
            actor,
            target,
            corr=corr,
        ),
    ]


def mfa_wipe(
    rng: random.Random, at: int, agent: User, target: User, ip: str
) -> list[dict[str, Any]]:
    """Deleting the user's methods: the method service's record and the directory update."""
    actor = by_user(agent, ip)
    modified = [
        _prop("StrongAuthenticationMethod", _DEFAULT_METHODS, "[]"),
        _prop("Included Updated Properties", None, '"StrongAuthenticationMethod"'),
        _prop("TargetId.UserType", None, '"Member"'),
    ]
    return [
        audit(
            rng,
            at,
            "Admin deleted security info",
            AUTH_METHODS,
            "Delete",
            f"Admin deleted {AUTHENTICATOR} method for user",
            actor,
            target,
        ),
        audit(
            rng,
            at + rng.randrange(200, 1500),
            "Update user",
            CORE,
            "Update",
            "",
            actor,
            target,
            modified,
        ),
    ]


def temporary_access_pass(
    rng: random.Random, at: int, agent: User, target: User, ip: str, minutes: int = 60
) -> list[dict[str, Any]]:
    begin, end = iso7(at, rng), iso7(at + minutes * 60_000, rng)
    modified = [
        _prop("TemporaryAccessPass.Id", '""', f'"{guid(rng)}"'),
        _prop("TemporaryAccessPass.StartDateTime", '""', f'"{begin}"'),
        _prop("TemporaryAccessPass.EndDateTime", '""', f'"{end}"'),
        _prop("TemporaryAccessPass.AccessPassUsage", '""', '"Multiple"'),
    ]
    return [
        audit(
            rng,
            at,
            "Admin registered security info",
            AUTH_METHODS,
            "Add",
            "Admin registered temporary access pass method for user",
            by_user(agent, ip),
            target,
            modified,
        ),
    ]


def self_service_reset(rng: random.Random, at: int, user: User, ip: str) -> list[dict[str, Any]]:
    """SSPR logs its progress steps too; only the last record is the reset itself."""
    corr, actor = guid(rng), by_user(user, ip)
    return [
        audit(
            rng,
            at - rng.randrange(20_000, 90_000),
            "Self-service password reset flow activity progress",
            SSPR,
            "Update",
            "User successfully verified with Authenticator app notification",
            actor,
            user,
            corr=corr,
        ),
        audit(
            rng,
            at,
            "Reset password (self-service)",
            SSPR,
            "Update",
            "Successfully completed reset.",
            actor,
            user,
            corr=corr,
        ),
    ]


def user_registered(
    rng: random.Random, at: int, user: User, ip: str, method: str = AUTHENTICATOR
) -> list[dict[str, Any]]:
    return [
        audit(
            rng,
            at,
            "User registered security info",
            AUTH_METHODS,
            "Add",
            f"User registered {method}",
            by_user(user, ip),
            user,
        ),
    ]


def add_user(rng: random.Random, at: int, admin: User, user: User, ip: str) -> list[dict[str, Any]]:
    modified = [
        _prop("AccountEnabled", "[]", "[true]"),
        _prop("DisplayName", "[]", f'["{user.name}"]'),
        _prop("UserPrincipalName", "[]", f'["{user.upn}"]'),
        _prop("UserType", "[]", '["Member"]'),
    ]
    return [audit(rng, at, "Add user", CORE, "Add", "", by_user(admin, ip), user, modified)]


def profile_update(
    rng: random.Random, at: int, admin: User, user: User, ip: str
) -> list[dict[str, Any]]:
    """An HR-driven attribute change: directory noise a parser must not mistake for a reset."""
    title = rng.choice(("Senior Analyst", "Team Lead", "Account Manager", "Specialist"))
    modified = [
        _prop("JobTitle", '["Analyst"]', f'["{title}"]'),
        _prop("Included Updated Properties", None, '"JobTitle"'),
        _prop("TargetId.UserType", None, '"Member"'),
    ]
    return [audit(rng, at, "Update user", CORE, "Update", "", by_user(admin, ip), user, modified)]
