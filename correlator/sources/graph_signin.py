"""Graph ``signIn`` (v1.0 and beta) onto ``SignIn``: the one mapping of a sign-in.

The same camelCase object is the ``properties`` of an Azure Monitor sign-in record and, after
renaming columns, a Log Analytics row; those wrappers pass what they know (category, the
envelope's time, caller IP and ``resultType``) as fallbacks. Every form arrives here as a
``GraphSignIn`` Struct, decoded from bytes or copied from a mapping (``signin_structs``).
This is the hot path: each field read once, repeated strings looked up rather than cleaned.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from correlator.errors import InvalidRecord
from correlator.model import SignIn
from correlator.sources.fields import (
    boolean,
    integer,
    ip,
    number,
    resolve_user,
    string_list,
    text,
)
from correlator.sources.reasons import MISSING_FIELD
from correlator.sources.signin_read import from_mapping, nested, steps
from correlator.sources.signin_structs import Device, Geo, GraphSignIn, Location, Mfa, Status
from correlator.sources.timeparse import parse_time

_NON_INTERACTIVE_CATEGORIES = frozenset({"noninteractiveusersigninlogs"})
_MFA_STEP = "multi-factor authentication"
# The paths named in refusals, in the order ``signin_from_struct`` hands values to ``_texts``.
_STATUS_PATHS = ("status.failureReason", "status.additionalDetails")
_TEXT_PATHS = (
    "userAgent", "appDisplayName", "appId", "clientAppUsed", "authenticationRequirement",
    "riskLevelDuringSignIn", "riskState", "deviceDetail.deviceId", "deviceDetail.displayName",
    "deviceDetail.operatingSystem", "deviceDetail.browser", "deviceDetail.trustType",
)  # fmt: skip
_LOCATION_PATHS = ("location.countryOrRegion", "location.city")


def signin_from_graph(
    p: Mapping[str, Any],
    *,
    source_format: str = "graph",
    category: str | None = None,
    fallback_time: object = None,
    fallback_ip: object = None,
    fallback_result: object = None,
) -> SignIn:
    """A sign-in record already decoded to a mapping (see ``signin_from_struct``)."""
    return signin_from_struct(
        from_mapping(GraphSignIn, p),
        source_format=source_format,
        category=category,
        fallback_time=fallback_time,
        fallback_ip=fallback_ip,
        fallback_result=fallback_result,
    )


def signin_from_struct(
    r: GraphSignIn,
    *,
    source_format: str = "graph",
    category: str | None = None,
    fallback_time: object = None,
    fallback_ip: object = None,
    fallback_result: object = None,
) -> SignIn:
    # Fields are read in one fixed order, so a record with several faults is refused for the
    # same one whichever way it came in (bytes, or a mapping whose nested objects ``nested``
    # converts only here).
    time = _time(r.created_date_time, fallback_time)
    user, upn, user_id = _user(r.user_principal_name, r.user_id)
    status = nested(Status, r.status, "status", strict=True)
    code = _code(status.error_code, fallback_result)
    reason, detail = _texts(_STATUS_PATHS, status.failure_reason, status.additional_details)
    device = nested(Device, r.device_detail, "deviceDetail")
    (agent, app, app_id, client, requirement, level, state,
     device_id, name, system, browser, trust) = _texts(
        _TEXT_PATHS, r.user_agent, r.app_display_name, r.app_id, r.client_app_used,
        r.authentication_requirement, r.risk_level_during_sign_in, r.risk_state,
        device.device_id, device.display_name, device.operating_system, device.browser,
        device.trust_type,
    )  # fmt: skip
    signin_id = _id(r, user, time)
    mfa_method = _mfa_method(r)
    risk_events = _risk_events(r)
    location = nested(Location, r.location, "location")
    latitude, longitude = _coordinates(nested(Geo, location.geo_coordinates, "geoCoordinates"))
    country, city = _texts(_LOCATION_PATHS, location.country_or_region, location.city)
    return SignIn(
        id=signin_id,
        time=time,
        user=user,
        success=code == 0,
        error_code=code,
        user_id=user_id,
        upn=upn,
        ip=_ip(r.ip_address) or _ip(fallback_ip),
        failure_reason=reason if code != 0 else None,
        failure_detail=detail if code != 0 else None,
        device_id=device_id,
        device_name=name,
        device_os=system,
        browser=browser,
        device_trust=trust,
        device_compliant=boolean(device.is_compliant),
        device_managed=boolean(device.is_managed),
        user_agent=agent,
        app=app,
        app_id=app_id,
        client_app=client,
        interactive=_interactive(r, category),
        auth_requirement=requirement,
        mfa_method=mfa_method,
        risk_level=level,
        risk_state=state,
        risk_event_types=risk_events,
        log_country=country,
        log_city=city,
        log_latitude=latitude,
        log_longitude=longitude,
        log_asn=log_asn(r.autonomous_system_number),
        category=category,
        source_format=source_format,
    )


def _time(created: object, fallback: object) -> int:
    if created is None or created == "":
        return parse_time(fallback, "time")
    try:
        return parse_time(created, "createdDateTime")
    except InvalidRecord:
        if fallback is None or fallback == "":
            raise
        return parse_time(fallback, "time")


def _code(error_code: object, fallback_result: object) -> int:
    """status.errorCode, else the envelope's ``resultType``; 0 is success whatever the reason
    says ("Other.")."""
    code = integer(error_code, "status.errorCode")
    if code is None:
        code = _result_type(fallback_result)
    return code


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


def _id(r: GraphSignIn, user: str, time: int) -> str:
    # The first usable key wins; later ones are not even checked (a huge one is no refusal).
    for value, key in (
        (r.id, "id"),
        (r.unique_token_identifier, "uniqueTokenIdentifier"),
        (r.original_request_id, "originalRequestId"),
        (r.correlation_id, "correlationId"),
    ):
        found = text(value, key)
        if found is not None:
            return found
    return f"signin:{user}:{time}"  # deterministic, so a replayed record gets the same id


def _interactive(r: GraphSignIn, category: str | None) -> bool:
    flag = boolean(r.is_interactive)
    if flag is not None:
        return flag
    types = r.sign_in_event_types
    if isinstance(types, list) and types:
        return "interactiveUser" in types
    return category is None or category.lower() not in _NON_INTERACTIVE_CATEGORIES


def _mfa_method(r: GraphSignIn) -> str | None:
    method = text(nested(Mfa, r.mfa_detail, "mfaDetail").auth_method, "mfaDetail.authMethod")
    if method is not None:
        return method
    for step in steps(r.authentication_details):
        if step.succeeded is not True:
            continue
        requirement = step.authentication_step_requirement
        if isinstance(requirement, str) and requirement.lower() == _MFA_STEP:
            return text(step.authentication_method, "authenticationMethod")
    return None


def _risk_events(r: GraphSignIn) -> tuple[str, ...]:
    events = r.risk_event_types_v2
    if not events:
        events = r.risk_event_types
    if not events:
        return ()
    return tuple(e for e in string_list(events, "riskEventTypes") if e.lower() != "none")


def _coordinates(geo: Geo) -> tuple[float | None, float | None]:
    latitude, longitude = geo.latitude, geo.longitude
    # number() on two finite floats is the identity; decoded floats are always finite.
    if type(latitude) is not float or type(longitude) is not float:
        latitude, longitude = number(latitude), number(longitude)
    return checked_point(latitude, longitude)


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


# --- repeated values: the same few thousand strings fill every sign-in -----------------------


def _texts(paths: tuple[str, ...], *values: object) -> list[str | None]:
    """``fields.text`` of each value, remembered per distinct short string: a dozen look-ups
    per sign-in cost far less than a dozen strips and checks. When any value is something
    else (a number, a long string), every value goes through ``text`` with its path, so a
    refusal names the first field at fault."""
    out: list[str | None] = []
    cache = _TEXTS.values
    for value in values:
        if type(value) is str and len(value) <= _CACHED_TEXT:
            found = cache.get(value, _MISSING)
            if found is _MISSING:
                found = _TEXTS.remember(value)
            out.append(found)  # type: ignore[arg-type]
        elif value is None:
            out.append(None)
        else:
            return [text(value, path) for value, path in zip(values, paths, strict=True)]
    return out


class _Texts:
    """Cleaned strings by raw string, bounded in characters, not only entries: 65,536 entries
    of 64 KiB user agents would be 4 GiB. When unique values fill it, it starts over rather
    than tracking recency: the common strings are back within a few sign-ins."""

    def __init__(self, max_chars: int) -> None:
        self.values: dict[str, str | None] = {}
        self.chars = 0
        self.max_chars = max_chars

    def remember(self, value: str) -> str | None:
        found = text(value, "text")
        if self.chars + len(value) > self.max_chars:
            self.values.clear()
            self.chars = 0
        self.values[value] = found
        self.chars += len(value)
        return found


_MISSING = object()
_LONGEST_IP = 64
_CACHED_TEXT = 512  # user agents are ~150-300 characters; longer ones are not remembered
_TEXTS = _Texts(max_chars=4 * 1024 * 1024)


def _user(upn: object, user_id: object) -> tuple[str, str | None, str | None]:
    if _short(upn) and _short(user_id):
        return _cached_user(upn, user_id)
    return resolve_user(upn, user_id)


def _short(value: object) -> bool:
    return (type(value) is str and len(value) <= _CACHED_TEXT) or value is None


def _ip(value: object) -> str | None:
    if type(value) is str and len(value) <= _LONGEST_IP:
        return _cached_ip(value)
    return ip(value)  # None: what ip() refuses need not take room in the cache


# The same users and addresses sign in all day: memoise these pure helpers (~1 µs each).
# Refusals raise and are not cached. Keys are at most 2 x 512 characters (users) and 64
# (addresses): 8,192 entries stay within ~16 MB.
_cached_user = lru_cache(maxsize=8192)(resolve_user)
_cached_ip = lru_cache(maxsize=8192)(ip)
