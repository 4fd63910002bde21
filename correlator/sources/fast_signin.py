"""Graph ``signIn`` bytes straight to ``SignIn``: the stream's hot path.

The generic path (``decode_payload`` then ``parse_record``) builds ~100 Python objects per
4 KB sign-in, then reads 30 of them. Here msgspec decodes the bytes into Structs holding only
the keys ``signin_from_graph`` reads, and skips every other key in C.

Exactness: whenever ``fast_signins`` returns a list, it equals the generic path's result for
the same bytes; when that cannot be ensured cheaply it returns ``None`` (take the generic
path). Values go through the generic parser's own helpers (``text``, ``integer``,
``resolve_user``, ``parse_time``...); anything they refuse, or a Struct type does not admit,
declines. ``_Int`` is bounded to int64 because orjson turns larger integers into floats, on
which ``text``/``integer``/``boolean`` answer differently; ``object`` is used where the helper
answers the same whatever the type (``ip``, ``_asn``, the event-type lists).

Known divergence (pinned by a test): msgspec skips ignored keys without converting their
numbers, so a number beyond the double range (``1e400``) in a key nobody reads is accepted
here, while orjson refuses the whole body (``malformed_json``). Searching the bytes for such
numbers would cost more than the whole parse.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

import msgspec

from correlator.errors import InvalidRecord
from correlator.model import SignIn
from correlator.sources.decode import MAX_PAYLOAD
from correlator.sources.fields import (
    MAX_TEXT,
    boolean,
    integer,
    ip,
    number,
    resolve_user,
    string_list,
    text,
)
from correlator.sources.graph_signin import checked_point, log_asn
from correlator.sources.timeparse import parse_time

_Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_Text = str | _Int | None  # text(): strings, and ints (numeric ids) as their decimal form
_Flag = bool | _Int | str | None  # boolean()
_Number = float | _Int | str | None  # integer(), parse_time()
_BOM = b"\xef\xbb\xbf"
# A Graph page starts with its "value" or an "@odata.*" key (so does a GET of one sign-in).
_PAGE_START = re.compile(rb'\s*\{\s*"(?:@|value")')
_MFA_STEP = "multi-factor authentication"


class _Struct(msgspec.Struct, rename="camel", gc=False):
    """Base: camelCase keys, and no GC tracking (these never hold cycles)."""


class _Status(_Struct):
    error_code: _Number = None
    failure_reason: _Text = None
    additional_details: _Text = None


class _Device(_Struct):
    device_id: _Text = None
    display_name: _Text = None
    operating_system: _Text = None
    browser: _Text = None
    trust_type: _Text = None
    is_compliant: _Flag = None
    is_managed: _Flag = None


class _Geo(_Struct):
    latitude: object = None  # number(): every type maps the same way
    longitude: object = None


class _Location(_Struct):
    city: _Text = None
    country_or_region: _Text = None
    geo_coordinates: _Geo | None = None


class _Mfa(_Struct):
    auth_method: _Text = None


class _Step(_Struct):
    succeeded: object = None  # only ``is True`` counts
    authentication_step_requirement: object = None
    authentication_method: _Text = None


class GraphSignIn(_Struct):
    """The keys of a Graph signIn that ``signin_from_graph`` reads, and nothing else."""

    created_date_time: _Number = None
    user_principal_name: _Text = None
    user_id: _Text = None
    status: _Status | None = None
    ip_address: object = None
    id: _Text = None
    unique_token_identifier: _Text = None
    original_request_id: _Text = None
    correlation_id: _Text = None
    user_agent: _Text = None
    app_display_name: _Text = None
    app_id: _Text = None
    client_app_used: _Text = None
    authentication_requirement: _Text = None
    risk_level_during_sign_in: _Text = None
    risk_state: _Text = None
    risk_event_types: object = None
    risk_event_types_v2: object = msgspec.field(default=None, name="riskEventTypes_v2")
    is_interactive: _Flag = None
    sign_in_event_types: object = None
    mfa_detail: _Mfa | None = None
    authentication_details: list[_Step] | None = None
    autonomous_system_number: object = None
    device_detail: _Device | None = None
    location: _Location | None = None
    # Present (even null) on an Azure Monitor record, which sniff() does not call a Graph
    # sign-in. Raw: skipped, never parsed; an absent key leaves it empty.
    properties: msgspec.Raw = msgspec.Raw()


class GraphPage(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """``{"value": [...]}`` with the ``@odata`` keys Graph adds. ``decode_payload`` splits a
    page only when every other key starts with ``@``; an unknown key here declines instead."""

    value: list[GraphSignIn]
    context: str | None = msgspec.field(default=None, name="@odata.context")
    next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")
    delta_link: str | None = msgspec.field(default=None, name="@odata.deltaLink")
    count: _Int | None = msgspec.field(default=None, name="@odata.count")


_ONE = msgspec.json.Decoder(GraphSignIn)
_PAGE = msgspec.json.Decoder(GraphPage)
# Absent nested objects read as empty ones, as obj() makes them on the generic path.
_NO_STATUS, _NO_DEVICE, _NO_LOCATION, _NO_GEO = _Status(), _Device(), _Location(), _Geo()


class _Decline(Exception):  # internal: this record is not for the fast path
    pass


def fast_signins(data: bytes) -> list[SignIn] | None:
    """The sign-ins of a body holding one Graph signIn or a page of them, or ``None`` when the
    generic path must decide (any other format, any value it would refuse, any doubt)."""
    body = _checked_body(data)
    if body is None:
        return None
    try:
        records = _records(body)
        return [_signin(record) for record in records] if records else None
    except (msgspec.DecodeError, InvalidRecord, _Decline, RecursionError):
        # (ValidationError is a DecodeError.) RecursionError: msgspec's nesting limit, the
        # interpreter's <1000 frames, is stricter than orjson's 1024: those bodies fail there too.
        return None


def _records(body: bytes) -> list[GraphSignIn]:
    if _PAGE_START.match(body):
        try:
            return _PAGE.decode(body).value
        except msgspec.ValidationError:
            pass  # a single record opening with "@odata.context", as a GET returns it
    return [_ONE.decode(body)]


def _checked_body(data: bytes) -> bytes | None:
    """The body msgspec may decode, or None where it would accept what orjson refuses."""
    if type(data) is not bytes or len(data) > MAX_PAYLOAD:
        return None
    data = data[3:] if data.startswith(_BOM) else data
    # msgspec does not validate UTF-8 inside the fields it skips; orjson refuses the body.
    if not data.isascii():
        try:
            data.decode()
        except UnicodeDecodeError:
            return None
    return data


def _signin(r: GraphSignIn) -> SignIn:
    if r.properties:
        raise _Decline
    time = parse_time(r.created_date_time, "createdDateTime")
    user, upn, user_id = _user(r.user_principal_name, r.user_id)
    status = r.status or _NO_STATUS
    code = integer(status.error_code, "status.errorCode")
    if code is None:
        raise _Decline  # the generic path refuses it: no errorCode and no resultType
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
    address = r.ip_address
    # Positional, in SignIn's field order: keywords cost ~1.5 µs more. Any misplaced value
    # fails the differential tests, which compare with the generic path's keyword build.
    return SignIn(
        _id(r, user, time), time, user, code == 0, code, user_id, upn,
        _ip(address) if type(address) is str else None, reason if code != 0 else None,
        device_id, name, system, browser, trust,
        boolean(device.is_compliant), boolean(device.is_managed),
        agent, app, app_id, client, _interactive(r), requirement, _mfa_method(r),
        level, state, _risk_events(r),
        country, city, *_coordinates(location.geo_coordinates or _NO_GEO),
        log_asn(r.autonomous_system_number), None, "graph",
        failure_detail=_detail(status) if code else None,
    )  # fmt: skip


def _detail(status: _Status) -> str | None:
    return text(status.additional_details, "status.additionalDetails")


def _texts(*values: object) -> list[str | None]:
    """``fields.text`` of each value. The same few hundred strings (apps, browsers, systems,
    cities) fill every sign-in, so each distinct string's answer is remembered: 15 look-ups
    per sign-in cost far less than 15 strips and checks. Anything else goes through ``text``."""
    out: list[str | None] = []
    cache = _TEXT_CACHE
    for value in values:
        if type(value) is str and len(value) <= MAX_TEXT:
            found = cache.get(value, _MISSING)
            if found is _MISSING:
                found = _clean(value)
                if len(cache) < _TEXT_CACHE_SIZE:
                    cache[value] = found
            out.append(found)  # type: ignore[arg-type]
        else:
            out.append(text(value, "text"))  # ints, None, and the too-long refusal
    return out


def _clean(value: str) -> str | None:
    value = value.strip()
    placeholder = len(value) > 2 and value[0] == "<" and value[-1] == ">"
    return value if value and not placeholder else None


_MISSING = object()
_TEXT_CACHE_SIZE = 65_536  # bounded: ids and user agents must not grow it without end
_TEXT_CACHE: dict[str, str | None] = {}


# The same users and addresses sign in all day: memoise these pure helpers (~1 µs each).
# Exceptions are not cached, so refusals are re-evaluated (and declined) every time.
_user = lru_cache(maxsize=8192, typed=True)(resolve_user)
_ip = lru_cache(maxsize=8192)(ip)


def _id(r: GraphSignIn, user: str, time: int) -> str:
    # Same keys, same order, same laziness as the generic parser: the first usable one wins.
    for value in (r.id, r.unique_token_identifier, r.original_request_id, r.correlation_id):
        found = text(value, "id")
        if found is not None:
            return found
    return f"signin:{user}:{time}"


def _interactive(r: GraphSignIn) -> bool:
    flag = boolean(r.is_interactive)
    if flag is not None:
        return flag
    types = r.sign_in_event_types
    if isinstance(types, list) and types:
        return "interactiveUser" in types
    return True  # no category on a Graph record: interactive unless told otherwise


def _mfa_method(r: GraphSignIn) -> str | None:
    if r.mfa_detail is not None:
        method = text(r.mfa_detail.auth_method, "mfaDetail.authMethod")
        if method is not None:
            return method
    for step in (r.authentication_details or ())[:16]:
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


def _coordinates(geo: _Geo) -> tuple[float | None, float | None]:
    latitude, longitude = geo.latitude, geo.longitude
    # number() on two finite floats is the identity; decoded floats are always finite.
    if type(latitude) is not float or type(longitude) is not float:
        latitude, longitude = number(latitude), number(longitude)
    return checked_point(latitude, longitude)
