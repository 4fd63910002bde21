"""The Graph ``signIn`` object as typed Structs: the keys the sign-in mapping reads, no others.

Two ways in, one shape out. ``msgspec`` decodes message bytes straight into these Structs and
skips every other key in C (see ``signin_bytes``). Records that are already mappings (Log
Analytics rows after renaming, Azure Monitor ``properties``, JSON lines with awkward values)
are copied in by ``from_mapping``, which reads the same keys; nested objects (which exporters
sometimes serialise as JSON strings) are converted by ``nested`` when the mapping reads them.
Either way ``graph_signin.signin_from_struct`` is the only code that turns a sign-in into
``SignIn``.

The field types are what the byte decoder admits: values on which every reader answers the
same as on the mapping path (``Int64`` stops there because orjson makes larger integers
floats). ``from_mapping`` does not validate, so a reader must accept any JSON value in a
field, as the ``fields`` helpers and ``nested`` do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import msgspec

from correlator.errors import InvalidRecord
from correlator.sources.fields import arr, obj
from correlator.sources.reasons import INVALID_FIELD

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_Text = str | Int64 | None  # text(): strings, and ints (numeric ids) as their decimal form
_Flag = bool | Int64 | str | None  # boolean()
_Number = float | Int64 | str | None  # integer(), parse_time()
_MAX_STEPS = 16  # authenticationDetails read: MFA is in the first few


class _Struct(msgspec.Struct, rename="camel", gc=False):
    """Base: camelCase keys, and no GC tracking (these never hold cycles)."""


class Status(_Struct):
    error_code: _Number = None
    failure_reason: _Text = None
    additional_details: _Text = None


class Device(_Struct):
    device_id: _Text = None
    display_name: _Text = None
    operating_system: _Text = None
    browser: _Text = None
    trust_type: _Text = None
    is_compliant: _Flag = None
    is_managed: _Flag = None


class Geo(_Struct):
    latitude: object = None  # number(): every type maps the same way
    longitude: object = None


class Location(_Struct):
    city: _Text = None
    country_or_region: _Text = None
    geo_coordinates: Geo | None = None


class Mfa(_Struct):
    auth_method: _Text = None


class Step(_Struct):
    succeeded: object = None  # only ``is True`` counts
    authentication_step_requirement: object = None
    authentication_method: _Text = None


class GraphSignIn(_Struct):
    """The keys of a Graph signIn that the mapping reads, and nothing else."""

    created_date_time: _Number = None
    user_principal_name: _Text = None
    user_id: _Text = None
    status: Status | None = None
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
    mfa_detail: Mfa | None = None
    authentication_details: list[Step] | None = None
    autonomous_system_number: object = None
    device_detail: Device | None = None
    location: Location | None = None
    # Only the byte decoder fills it: a record holding it is not a Graph sign-in (sniff), and
    # Raw skips it unparsed. An absent key leaves it empty.
    properties: msgspec.Raw = msgspec.Raw()


S = TypeVar("S", bound=_Struct)
_FIELDS: dict[type[Any], list[tuple[str, str]]] = {}


def from_mapping(cls: type[S], record: Mapping[str, Any]) -> S:
    """``cls`` holding ``record``'s values for its keys, unconverted: nested objects stay as
    the record has them (a mapping, a JSON string, anything) until the mapping reads them
    through ``nested``. So a record's faults are found in the order the mapping reads its
    fields, whichever way the record came in."""
    return cls(**{name: record.get(key) for name, key in _fields(cls)})


def nested(cls: type[S], value: object, key: str, *, strict: bool = False) -> S:
    """``value`` as a ``cls``: itself when decoded from bytes; else a mapping or its JSON
    string copied in; anything else is an empty ``cls``. ``strict``: a value that is neither
    an object nor a string refuses the record (a malformed status would hide whether the
    sign-in failed)."""
    if type(value) is cls:
        return value
    inner = obj(value, key)
    if inner:
        return from_mapping(cls, inner)
    if strict and value is not None and not isinstance(value, Mapping | str):
        raise InvalidRecord(INVALID_FIELD, f"{key} is not an object", field=key)
    return _empty(cls)


def steps(value: object) -> list[Step]:
    """The first ``authenticationDetails`` steps that are objects, as ``Step`` Structs."""
    if type(value) is list and (not value or type(value[0]) is Step):
        return value[:_MAX_STEPS]  # decoded from bytes: a list[Step] already
    items = value if type(value) is list else arr(value, "authenticationDetails")
    out: list[Step] = []
    for item in items[:_MAX_STEPS]:
        if type(item) is Step:
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(from_mapping(Step, item))
    return out


def _fields(cls: type[S]) -> list[tuple[str, str]]:
    """(attribute, JSON key) per field, ``properties`` aside (only the byte decoder sets it)."""
    found = _FIELDS.get(cls)
    if found is None:
        found = [
            (field.name, field.encode_name)
            for field in msgspec.structs.fields(cls)
            if field.name != "properties"
        ]
        _FIELDS[cls] = found
    return found


_EMPTIES: dict[type[Any], Any] = {}


def _empty(cls: type[S]) -> S:
    found = _EMPTIES.get(cls)
    if found is None:
        found = _EMPTIES[cls] = cls()
    return found
