"""CSV downloads of the Entra admin center's sign-in and audit logs, as Graph-shaped records.

The admin center writes one column per flattened property, with display names for headers
("Date (UTC)", "Sign-in error code", "Target1UserPrincipalName"). Some headers carry stray
spaces ("Application ID ", "Autonomous system  number"), so headers are matched on their
lower-cased words. Each row becomes the Graph ``signIn`` or ``directoryAudit`` object the other
parsers already read; nothing here decides what a record means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from correlator.errors import InvalidRecord
from correlator.sources.reasons import SERVICE_PRINCIPAL, UNKNOWN_FORMAT

SIGNIN, AUDIT = "signin", "audit"
_MAX_TARGETS = 8
_MAX_PROPERTIES = 16
_MAX_DETAILS = 32

# (normalised header, Graph path): sign-in columns of the Interactive/Non-interactive downloads.
_SIGNIN_COLUMNS = {
    "date (utc)": ("createdDateTime",),
    "request id": ("id",),
    "user id": ("userId",),
    "username": ("userPrincipalName",),
    "user agent": ("userAgent",),
    "correlation id": ("correlationId",),
    "unique token identifier": ("uniqueTokenIdentifier",),
    "ip address": ("ipAddress",),
    "application": ("appDisplayName",),
    "application id": ("appId",),
    "client app": ("clientAppUsed",),
    "authentication requirement": ("authenticationRequirement",),
    "multifactor authentication auth method": ("mfaDetail", "authMethod"),
    "autonomous system number": ("autonomousSystemNumber",),
    "risk level (sign-in)": ("riskLevelDuringSignIn",),
    "risk state": ("riskState",),
    "failure reason": ("status", "failureReason"),
    "device id": ("deviceDetail", "deviceId"),
    "browser": ("deviceDetail", "browser"),
    "operating system": ("deviceDetail", "operatingSystem"),
    "compliant": ("deviceDetail", "isCompliant"),
    "managed": ("deviceDetail", "isManaged"),
    "join type": ("deviceDetail", "trustType"),
}
_WORKLOAD_COLUMNS = ("service principal id", "managed identity type")


def header_key(name: str) -> str:
    return " ".join(name.lower().split())


def csv_kind(headers: Sequence[str]) -> str | None:
    """``signin``, ``audit`` or None, from the header row of a download."""
    names = {header_key(h) for h in headers}
    if "date (utc)" in names and ({"request id", "username"} & names or _workload(names)):
        return SIGNIN
    if "activity" in names and ("target1type" in names or "actortype" in names):
        return AUDIT
    return None


def _workload(names: set[str]) -> bool:
    return any(column in names for column in _WORKLOAD_COLUMNS)


def row_record(kind: str, row: Mapping[str, str], *, interactive: bool | None) -> dict[str, Any]:
    """The Graph-shaped record of one CSV row (keys already normalised by ``header_key``)."""
    if kind == SIGNIN:
        return signin_record(row, interactive=interactive)
    if kind == AUDIT:
        return audit_record(row)
    raise InvalidRecord(UNKNOWN_FORMAT, "not an Entra sign-in or audit download")


def signin_record(row: Mapping[str, str], *, interactive: bool | None) -> dict[str, Any]:
    if any(row.get(column) for column in _WORKLOAD_COLUMNS):
        raise InvalidRecord(SERVICE_PRINCIPAL, "a workload sign-in has no user")
    out: dict[str, Any] = {}
    for column, path in _SIGNIN_COLUMNS.items():
        value = row.get(column)
        if value:
            _put(out, path, value)
    status = out.setdefault("status", {})
    code = row.get("sign-in error code")
    if code:
        status["errorCode"] = code
    elif (row.get("status") or "").strip().lower() == "success":
        status["errorCode"] = 0
    city, country = _location(row.get("location") or "")
    out["location"] = {"city": city, "countryOrRegion": country}
    if interactive is not None:
        out["isInteractive"] = interactive
    return out


def _put(out: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    if len(path) == 1:
        out[path[0]] = value
    else:
        out.setdefault(path[0], {})[path[1]] = value


def _location(value: str) -> tuple[str | None, str | None]:
    """``"City, State, CC"`` as the admin center writes it: the first and the last part."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts:
        return None, None
    return (parts[0] if len(parts) > 1 else None), parts[-1]


def audit_record(row: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": row.get("id") or None,
        "activityDateTime": row.get("date (utc)") or row.get("date"),
        "activityDisplayName": row.get("activity"),
        "category": row.get("category"),
        "loggedByService": row.get("service"),
        "result": row.get("result"),
        "resultReason": row.get("resultreason"),
        "correlationId": row.get("correlationid"),
        "initiatedBy": _initiator(row),
        "targetResources": _targets(row),
        "additionalDetails": _details(row),
    }


def _initiator(row: Mapping[str, str]) -> dict[str, Any]:
    upn, object_id = row.get("actoruserprincipalname"), row.get("actorobjectid")
    if (row.get("actortype") or "").lower() == "user" or upn:
        user = {"userPrincipalName": upn, "id": object_id, "ipAddress": row.get("ipaddress")}
        return {"user": user}
    name = row.get("actorserviceprincipalname") or row.get("actordisplayname")
    app = {"displayName": name, "servicePrincipalId": row.get("actorserviceprincipalid")}
    return {"app": app} if name or app["servicePrincipalId"] else {}


def _targets(row: Mapping[str, str]) -> list[dict[str, Any]]:
    targets = []
    for n in range(1, _MAX_TARGETS + 1):
        prefix = f"target{n}"
        if not any(row.get(prefix + k) for k in ("type", "objectid", "userprincipalname")):
            continue
        properties = [
            {
                "displayName": row.get(f"{prefix}modifiedproperty{p}name"),
                "oldValue": row.get(f"{prefix}modifiedproperty{p}oldvalue"),
                "newValue": row.get(f"{prefix}modifiedproperty{p}newvalue"),
            }
            for p in range(1, _MAX_PROPERTIES + 1)
            if row.get(f"{prefix}modifiedproperty{p}name")
        ]
        targets.append(
            {
                "type": row.get(prefix + "type"),
                "displayName": row.get(prefix + "displayname"),
                "id": row.get(prefix + "objectid"),
                "userPrincipalName": row.get(prefix + "userprincipalname"),
                "modifiedProperties": properties,
            }
        )
    return targets


def _details(row: Mapping[str, str]) -> list[dict[str, str | None]]:
    return [
        {"key": row.get(f"additionaldetail{n}key"), "value": row.get(f"additionaldetail{n}value")}
        for n in range(1, _MAX_DETAILS + 1)
        if row.get(f"additionaldetail{n}key")
    ]
