"""Graph ``signIn`` (v1.0 and beta) onto ``SignIn``.

The same camelCase object is the ``properties`` of an Azure Monitor sign-in record and, after
renaming columns, a Log Analytics row; those wrappers pass what they know (category, the
envelope's time, caller IP and ``resultType``) as fallbacks. This is the hot path: no regexes,
each field read once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from correlator.errors import InvalidRecord
from correlator.model import SignIn
from correlator.sources.fields import (
    arr,
    boolean,
    integer,
    ip,
    number,
    obj,
    resolve_user,
    string_list,
    text,
)
from correlator.sources.reasons import INVALID_FIELD, MISSING_FIELD
from correlator.sources.timeparse import parse_time

_NON_INTERACTIVE_CATEGORIES = frozenset({"noninteractiveusersigninlogs"})
_MFA_STEP = "multi-factor authentication"
# (SignIn field, key, path for error messages): plain strings copied as they are.
_TOP_TEXT = (
    ("user_agent", "userAgent", "userAgent"),
    ("app", "appDisplayName", "appDisplayName"),
    ("app_id", "appId", "appId"),
    ("client_app", "clientAppUsed", "clientAppUsed"),
    ("auth_requirement", "authenticationRequirement", "authenticationRequirement"),
    ("risk_level", "riskLevelDuringSignIn", "riskLevelDuringSignIn"),
    ("risk_state", "riskState", "riskState"),
)
_DEVICE_TEXT = (
    ("device_id", "deviceId", "deviceDetail.deviceId"),
    ("device_name", "displayName", "deviceDetail.displayName"),
    ("device_os", "operatingSystem", "deviceDetail.operatingSystem"),
    ("browser", "browser", "deviceDetail.browser"),
    ("device_trust", "trustType", "deviceDetail.trustType"),
)


def signin_from_graph(
    p: Mapping[str, Any],
    *,
    source_format: str = "graph",
    category: str | None = None,
    fallback_time: object = None,
    fallback_ip: object = None,
    fallback_result: object = None,
) -> SignIn:
    time = _time(p.get("createdDateTime"), fallback_time)
    user, upn, user_id = resolve_user(p.get("userPrincipalName"), p.get("userId"))
    code, reason, detail = _status(p.get("status"), fallback_result)
    device = obj(p.get("deviceDetail"), "deviceDetail")
    fields = {name: text(p.get(key), path) for name, key, path in _TOP_TEXT}
    fields.update({name: text(device.get(key), path) for name, key, path in _DEVICE_TEXT})
    return SignIn(
        id=_id(p, user, time),
        time=time,
        user=user,
        success=code == 0,
        error_code=code,
        user_id=user_id,
        upn=upn,
        ip=ip(p.get("ipAddress")) or ip(fallback_ip),
        failure_reason=reason if code != 0 else None,
        failure_detail=detail if code != 0 else None,
        device_compliant=boolean(device.get("isCompliant")),
        device_managed=boolean(device.get("isManaged")),
        interactive=_interactive(p, category),
        mfa_method=_mfa_method(p),
        risk_event_types=_risk_events(p),
        log_asn=log_asn(p.get("autonomousSystemNumber")),
        category=category,
        source_format=source_format,
        **fields,
        **_location(obj(p.get("location"), "location")),
    )


def _location(location: Mapping[str, Any]) -> dict[str, Any]:
    latitude, longitude = _coordinates(obj(location.get("geoCoordinates"), "geoCoordinates"))
    return {
        "log_country": text(location.get("countryOrRegion"), "location.countryOrRegion"),
        "log_city": text(location.get("city"), "location.city"),
        "log_latitude": latitude,
        "log_longitude": longitude,
    }


def _time(created: object, fallback: object) -> int:
    if created is None or created == "":
        return parse_time(fallback, "time")
    try:
        return parse_time(created, "createdDateTime")
    except InvalidRecord:
        if fallback is None or fallback == "":
            raise
        return parse_time(fallback, "time")


def _status(value: object, fallback_result: object) -> tuple[int, str | None, str | None]:
    """``(error code, failure reason, additional details)``; errorCode 0 is success even with
    "Other." as reason. The details say how MFA failed ("MFA denied; user declined...")."""
    status = obj(value, "status")
    if value is not None and not status and not isinstance(value, Mapping | str):
        raise InvalidRecord(INVALID_FIELD, "status is not an object", field="status")
    code = integer(status.get("errorCode"), "status.errorCode")
    if code is None:
        code = _result_type(fallback_result)
    reason = text(status.get("failureReason"), "status.failureReason")
    return code, reason, text(status.get("additionalDetails"), "status.additionalDetails")


def _result_type(value: object) -> int:
    """Azure Monitor ``resultType``: the error code as a string, or Success/Failure words."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "success":
            return 0
        if word in ("failure", "failed"):
            return -1  # a failure whose code the exporter did not keep
    code = integer(value, "resultType")
    if code is None:
        raise InvalidRecord(MISSING_FIELD, "no status.errorCode nor resultType", field="status")
    return code


def _id(p: Mapping[str, Any], user: str, time: int) -> str:
    for key in ("id", "uniqueTokenIdentifier", "originalRequestId", "correlationId"):
        value = text(p.get(key), key)
        if value is not None:
            return value
    return f"signin:{user}:{time}"  # deterministic, so a replayed record gets the same id


def _interactive(p: Mapping[str, Any], category: str | None) -> bool:
    flag = boolean(p.get("isInteractive"))
    if flag is not None:
        return flag
    types = p.get("signInEventTypes")
    if isinstance(types, list) and types:
        return "interactiveUser" in types
    return category is None or category.lower() not in _NON_INTERACTIVE_CATEGORIES


def _mfa_method(p: Mapping[str, Any]) -> str | None:
    method = text(obj(p.get("mfaDetail"), "mfaDetail").get("authMethod"), "mfaDetail.authMethod")
    if method is not None:
        return method
    for step in arr(p.get("authenticationDetails"), "authenticationDetails")[:16]:
        if not isinstance(step, Mapping) or step.get("succeeded") is not True:
            continue
        requirement = step.get("authenticationStepRequirement")
        if isinstance(requirement, str) and requirement.lower() == _MFA_STEP:
            return text(step.get("authenticationMethod"), "authenticationMethod")
    return None


def _risk_events(p: Mapping[str, Any]) -> tuple[str, ...]:
    events = p.get("riskEventTypes_v2")
    if not events:
        events = p.get("riskEventTypes")
    if not events:
        return ()
    return tuple(e for e in string_list(events, "riskEventTypes") if e.lower() != "none")


def _coordinates(geo: Mapping[str, Any]) -> tuple[float | None, float | None]:
    return checked_point(number(geo.get("latitude")), number(geo.get("longitude")))


def checked_point(
    latitude: float | None, longitude: float | None
) -> tuple[float | None, float | None]:
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        return None, None  # 0/0 is how exports say "unknown", not a spot in the Atlantic
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude


def log_asn(value: object) -> int | None:
    try:
        asn = integer(value, "autonomousSystemNumber")
    except InvalidRecord:
        return None  # enrichment looks the ASN up anyway; a garbled hint is just dropped
    return asn if asn is not None and 0 < asn < 2**32 else None
