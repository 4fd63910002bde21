"""The Graph ``signIn`` object as typed Structs: the keys the sign-in mapping reads, no others.

Two ways in, one shape out. ``msgspec`` decodes message bytes straight into these Structs and
skips every other key in C (see ``signin_bytes``). Records that are already mappings (Log
Analytics rows after renaming, Azure Monitor ``properties``, JSON lines with awkward values)
are copied in by ``from_mapping``, which reads the same keys and unwraps nested objects the
exporters serialised as JSON strings. Either way ``graph_signin.signin_from_struct`` is the only
code that turns a sign-in into ``SignIn``.

The field types are what the byte decoder admits: values on which every reader answers the
same as on the mapping path (``_Int`` stops at int64 because orjson makes larger integers
floats). ``from_mapping`` does not validate, so a reader must accept any JSON value in a
scalar field, as the ``fields`` helpers do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar, get_args, get_origin

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
# Nested Struct fields must be objects: a status that is a number or a list refuses the
# record, as a malformed status would hide whether the sign-in failed. Others become empty.
_STRICT_OBJECTS = frozenset({"status"})


def from_mapping(cls: type[S], record: Mapping[str, Any]) -> S:
    """``cls`` holding ``record``'s values for its keys, nested objects (or their JSON
    strings) as Structs. Values are not checked: the mapping's readers check each one."""
    values: dict[str, Any] = {}
    for name, key, nested, many in _layout(cls):
        value = record.get(key)
        if value is None:
            continue
        if many is not None:
            steps = arr(value, key)[:_MAX_STEPS]
            value = [from_mapping(many, s) for s in steps if isinstance(s, Mapping)]
        elif nested is not None:
            value = _nested(nested, value, key)
        values[name] = value
    return cls(**values)


def _nested(cls: type[S], value: object, key: str) -> S | None:
    inner = obj(value, key)
    if inner:
        return from_mapping(cls, inner)
    if key in _STRICT_OBJECTS and not isinstance(value, Mapping | str):
        raise InvalidRecord(INVALID_FIELD, f"{key} is not an object", field=key)
    return None


_Layout = list[tuple[str, str, "type[Any] | None", "type[Any] | None"]]
_LAYOUTS: dict[type[Any], _Layout] = {}


def _layout(cls: type[S]) -> _Layout:
    """(attribute, JSON key, nested Struct, Struct of a list) per field, ``properties`` aside."""
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = [
            (field.name, field.encode_name, *_structs_in(field.type))
            for field in msgspec.structs.fields(cls)
            if field.name != "properties"
        ]
        _LAYOUTS[cls] = layout
    return layout


def _structs_in(hint: object) -> tuple[type[Any] | None, type[Any] | None]:
    """(Struct, None) for ``X | None``, (None, Struct) for ``list[X] | None``, else Nones."""
    for member in get_args(hint) or (hint,):
        if get_origin(member) is list:
            return None, _structs_in(get_args(member)[0])[0]
        if isinstance(member, type) and issubclass(member, _Struct):
            return member, None
    return None, None
