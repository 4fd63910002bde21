"""Entra audit records (Graph ``directoryAudit`` shape) onto ``CredentialChange``.

Azure Monitor ``AuditLogs`` properties and Log Analytics ``AuditLogs`` rows are brought into
this shape by their wrappers, so the activity mapping and actor logic exist once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from correlator.errors import InvalidRecord
from correlator.identity import normalize_identity
from correlator.model import AppConsent, CredentialChange
from correlator.sources.activities import PASSWORD_KINDS, classify
from correlator.sources.consent import consent_from_graph, is_consent
from correlator.sources.fields import arr, ip, is_placeholder, obj, resolve_user, text
from correlator.sources.reasons import (
    FAILED_OPERATION,
    IRRELEVANT_ACTIVITY,
    MISSING_FIELD,
    MISSING_USER,
    PLACEHOLDER_VALUE,
)
from correlator.sources.timeparse import parse_time

# Initiators that act for the user themselves: a reset through them is self-service.
SELF_SERVICE_APPS = frozenset(
    {"self-service password management", "microsoft password reset service", "sspr"}
)
_FAILED_RESULTS = frozenset({"failure", "failed", "timeout", "1", "2"})
_EVIDENCE_LIMIT = 4096


def audit_from_graph(
    a: Mapping[str, Any],
    *,
    source_format: str = "graph",
    fallback_time: object = None,
    fallback_activity: object = None,
    fallback_ip: object = None,
    fallback_result: object = None,
) -> CredentialChange | AppConsent:
    # Some exporters name the audit time createdDateTime, as sign-ins have it.
    time = _time(a.get("activityDateTime"), fallback_time or a.get("createdDateTime"))
    activity = _activity(a.get("activityDisplayName"), fallback_activity)
    targets = arr(a.get("targetResources"), "targetResources") or arr(
        a.get("targetResource"), "targetResource"
    )
    if is_consent(activity):
        result = a.get("result")
        if _failed(fallback_result if result is None else result):
            raise InvalidRecord(FAILED_OPERATION, "consent failed", field="result")
        record_id = text(a.get("id"), "id") or _synthetic_id(a, activity, time)
        return consent_from_graph(
            a, record_id=record_id, time=time, targets=targets, source_format=source_format
        )
    kind, method = _classify(a, activity, targets, fallback_result)
    target, (user, upn, target_id) = _target_user(targets)
    actor, actor_kind, by_other, actor_ip = _actor(
        obj(a.get("initiatedBy"), "initiatedBy"), upn, target_id
    )
    if kind in PASSWORD_KINDS:
        # "Reset user password" by the user themselves is self-service; an explicit
        # self-service activity stays one whoever the log names as initiator.
        kind = "password_reset" if by_other and kind == "password_reset" else "self_service_reset"
        by_other = kind == "password_reset"
    return CredentialChange(
        id=text(a.get("id"), "id") or _synthetic_id(a, activity, time),
        time=time,
        user=user,
        kind=kind,  # type: ignore[arg-type]  # classify only returns CredentialKind values
        source="audit",
        actor=actor,
        actor_kind=actor_kind,  # type: ignore[arg-type]
        by_other=by_other,
        activity=activity,
        target_id=target_id,
        method=method,
        actor_ip=actor_ip or ip(fallback_ip),
        privileged_target=_privileged(target),
        source_format=source_format,
    )


def _activity(value: object, fallback: object) -> str:
    activity = text(value, "activityDisplayName") or text(fallback, "operationName")
    if activity is None:
        raise InvalidRecord(MISSING_FIELD, "no activity name", field="activityDisplayName")
    return activity


def _classify(
    a: Mapping[str, Any], activity: str, targets: list[Any], fallback_result: object
) -> tuple[str, str | None]:
    mapped = classify(activity, targets, _evidence(a, targets))
    if mapped is None:
        raise InvalidRecord(IRRELEVANT_ACTIVITY, activity[:120], field="activityDisplayName")
    result = a.get("result")
    if _failed(fallback_result if result is None else result):
        raise InvalidRecord(FAILED_OPERATION, f"{activity[:80]} failed", field="result")
    return mapped


def _time(value: object, fallback: object) -> int:
    if value is None or value == "":
        return parse_time(fallback, "time")
    return parse_time(value, "activityDateTime")


def _evidence(a: Mapping[str, Any], targets: list[Any]) -> str:
    parts: list[str] = []
    reason = a.get("resultReason")
    if isinstance(reason, str):
        parts.append(reason)
    for detail in arr(a.get("additionalDetails"), "additionalDetails")[:32]:
        if isinstance(detail, Mapping):
            parts.extend(v for v in (detail.get("key"), detail.get("value")) if isinstance(v, str))
    for target in targets[:8]:
        if isinstance(target, Mapping):
            for prop in arr(target.get("modifiedProperties"), "modifiedProperties")[:32]:
                if isinstance(prop, Mapping) and isinstance(prop.get("displayName"), str):
                    parts.append(prop["displayName"])
    return " ".join(parts)[:_EVIDENCE_LIMIT].lower()


def _failed(result: object) -> bool:
    if isinstance(result, bool):
        return not result
    if isinstance(result, int):
        return result != 0  # the operationResult enum: 0 success, 1 failure, 2 timeout
    if isinstance(result, str):
        return result.strip().lower() in _FAILED_RESULTS
    return False


def _target_user(
    targets: list[Any],
) -> tuple[Mapping[str, Any], tuple[str, str | None, str | None]]:
    candidates = [t for t in targets[:16] if isinstance(t, Mapping)]
    users = [t for t in candidates if str(t.get("type") or t.get("Type") or "").lower() == "user"]
    for target in users:
        if text(target.get("userPrincipalName"), "targetResources.userPrincipalName") or text(
            target.get("id"), "targetResources.id"
        ):
            return target, resolve_user(target.get("userPrincipalName"), target.get("id"))
    for target in candidates:  # untyped targets: only a UPN proves it is a user
        if text(target.get("userPrincipalName"), "targetResources.userPrincipalName"):
            return target, resolve_user(target.get("userPrincipalName"), target.get("id"))
    if any(
        _placeholder(t.get("userPrincipalName")) or _placeholder(t.get("id")) for t in candidates
    ):
        raise InvalidRecord(
            PLACEHOLDER_VALUE, "target user is a placeholder", field="targetResources"
        )
    raise InvalidRecord(MISSING_USER, "no user among the target resources", field="targetResources")


def _placeholder(value: object) -> bool:
    return isinstance(value, str) and is_placeholder(value.strip())


def _actor(
    initiated_by: Mapping[str, Any], target_upn: str | None, target_id: str | None
) -> tuple[str | None, str, bool, str | None]:
    """``(actor, actor_kind, by_other, actor ip)``."""
    user = obj(initiated_by.get("user"), "initiatedBy.user")
    if user:
        upn = normalize_identity(
            text(user.get("userPrincipalName"), "initiatedBy.user.userPrincipalName")
        )
        user_id = normalize_identity(text(user.get("id"), "initiatedBy.user.id"))
        if upn and target_upn:
            same = upn == target_upn
        elif user_id and target_id:
            same = user_id == target_id
        else:
            same = False  # an initiator we cannot match to the target is treated as someone else
        return upn or user_id, ("user" if same else "admin"), not same, ip(user.get("ipAddress"))
    app = obj(initiated_by.get("app"), "initiatedBy.app")
    if app:
        name = text(app.get("displayName"), "initiatedBy.app.displayName") or text(
            app.get("servicePrincipalId") or app.get("appId"), "initiatedBy.app.id"
        )
        self_service = name is not None and name.lower() in SELF_SERVICE_APPS
        return name, "system", not self_service, None
    return None, "unknown", False, None


def _privileged(target: Mapping[str, Any]) -> bool:
    roles = target.get("roles")
    return bool(roles) and isinstance(roles, list | str)


def _synthetic_id(a: Mapping[str, Any], activity: str, time: int) -> str:
    correlation = text(a.get("correlationId"), "correlationId") or "none"
    return f"audit:{correlation}:{activity}:{time}"
