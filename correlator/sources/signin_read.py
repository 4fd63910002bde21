"""Reading a Graph sign-in's values the same way whichever way it came in: decoded from bytes
into the Structs of ``signin_structs``, or copied from a mapping (Log Analytics rows, Azure
Monitor ``properties``, JSON lines), whose nested objects may still be mappings or JSON strings.

Kept apart from the Structs so that it is compiled with the rest of the hot path (``setup.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from correlator.errors import InvalidRecord
from correlator.sources.fields import arr, obj
from correlator.sources.reasons import INVALID_FIELD
from correlator.sources.signin_structs import CamelStruct, Step

_MAX_STEPS = 16  # authenticationDetails read: MFA is in the first few

S = TypeVar("S", bound=CamelStruct)
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
    if value is None:  # absent: no Mapping check (an ABC's isinstance is slow)
        return _empty(cls)
    inner = obj(value, key)
    if inner:
        return from_mapping(cls, inner)
    if strict and not isinstance(value, Mapping | str):
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
