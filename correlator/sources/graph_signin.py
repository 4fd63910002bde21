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
from correlator.sources.reasons import INVALID_FIELD, MISSING_FIELD
from correlator.sources.signin_structs import (
    Device,
    Geo,
    GraphSignIn,
    Location,
    Status,
    from_mapping,
)
from correlator.sources.timeparse import parse_time

_NON_INTERACTIVE_CATEGORIES = frozenset({"noninteractiveusersigninlogs"})
_MFA_STEP = "multi-factor authentication"
_MAX_STEPS = 16
_INT64 = 2**63
# Absent nested objects read as empty ones.
_NO_STATUS, _NO_DEVICE, _NO_LOCATION, _NO_GEO = Status(), Device(), Location(), Geo()


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
    time = _time(r.created_date_time, fallback_time)
    user, upn, user_id = _user(r.user_principal_name, r.user_id)
    status = r.status or _NO_STATUS
    code = _code(status.error_code, fallback_result)
    device = r.device_detail or _NO_DEVICE
    location = r.location or _NO_LOCATION
    (agent, app, app_id, client, requirement, level, state, reason) = _texts(
        r.user_agent, r.app_display_name, r.app_id, r.client_app_used,
        r.authentication_requirement, r.risk_level_during_sign_in, r.risk_state,
        status.failure_reason,
    )  # fmt: skip
    (device_id, name, system, browser, trust, country, city) = _texts(
        device.device_id, device.display_name, device.operating_system, device.browser,
        device.trust_type, location.country_or_region, location.city,
    )  # fmt: skip
    latitude, longitude = _coordinates(location.geo_coordinates or _NO_GEO)
    return SignIn(
        id=_id(r, user, time),
        time=time,
        user=user,
        success=code == 0,
        error_code=code,
        user_id=user_id,
        upn=upn,
        ip=_ip(r.ip_address) or _ip(fallback_ip),
        failure_reason=reason if code != 0 else None,
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
        mfa_method=_mfa_method(r),
        risk_level=level,
        risk_state=state,
        risk_event_types=_risk_events(r),
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
    says ("Other."). Bounded to int64: alerts carry it, and their encoder stops there."""
    code = integer(error_code, "status.errorCode")
    if code is None:
        code = _result_type(fallback_result)
    if not -_INT64 <= code < _INT64:
        raise InvalidRecord(INVALID_FIELD, "error code beyond 64 bits", field="status.errorCode")
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
    if r.mfa_detail is not None:
        method = text(r.mfa_detail.auth_method, "mfaDetail.authMethod")
        if method is not None:
            return method
    for step in (r.authentication_details or ())[:_MAX_STEPS]:
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
        if _beyond_double(latitude) or _beyond_double(longitude):
            # msgspec decodes a 400-digit number as an int; orjson refuses the whole body.
            raise InvalidRecord(INVALID_FIELD, "coordinate beyond the double range")
        latitude, longitude = number(latitude), number(longitude)
    return checked_point(latitude, longitude)


def _beyond_double(value: object) -> bool:
    return type(value) is int and value.bit_length() > 1024


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


def _texts(*values: object) -> list[str | None]:
    """``fields.text`` of each value, remembered per distinct short string: 15 look-ups per
    sign-in cost far less than 15 strips and checks. Anything else goes through ``text``."""
    out: list[str | None] = []
    cache = _TEXTS.values
    for value in values:
        if type(value) is str and len(value) <= _CACHED_TEXT:
            found = cache.get(value, _MISSING)
            if found is _MISSING:
                found = _TEXTS.remember(value)
            out.append(found)  # type: ignore[arg-type]
        else:
            out.append(text(value, "text"))  # ints, None, long strings, the too-long refusal
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
