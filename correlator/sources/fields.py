"""Safe getters: every vendor value goes through here before it reaches the model.

Logs hold nested objects that are sometimes JSON strings (Log Analytics columns, Azure Monitor
``properties``), numbers that are sometimes strings (``"errorCode": "50126"``), documentation
placeholders instead of values (``"<USER ID>"``) and keys whose case depends on the exporter.
Nothing in this module raises anything but ``InvalidRecord``.
"""

from __future__ import annotations

from collections.abc import Mapping
from socket import AF_INET, AF_INET6, inet_ntop, inet_pton
from typing import Any

import orjson

from correlator.errors import InvalidRecord
from correlator.identity import normalize_identity
from correlator.sources.reasons import (
    INVALID_FIELD,
    MISSING_USER,
    PLACEHOLDER_VALUE,
    TOO_LARGE,
)

MAX_TEXT = 64 * 1024  # a key field longer than this is an attack or a bug, never a value
MAX_EMBEDDED_JSON = 1024 * 1024  # JSON-in-a-string we are willing to decode
MAX_USER = 1024  # a user key (UPNs are at most 113 characters): it is a state key and alert text

Obj = Mapping[str, Any]
_EMPTY: dict[str, Any] = {}
_HEX = frozenset("0123456789abcdefABCDEF-")
_MAX_ID_BITS = 128  # numeric ids are at most 64-bit; GUIDs written as numbers 128


def is_placeholder(value: str) -> bool:
    """``<USER ID>``, ``<null>``: documentation and export placeholders, never values."""
    return len(value) > 2 and value[0] == "<" and value[-1] == ">"


def text(value: object, field: str) -> str | None:
    """A trimmed non-empty string, or None for absent, empty, placeholder or non-text values."""
    # Called ~20 times per sign-in: exact type checks and an inlined placeholder test.
    if type(value) is str:
        if len(value) > MAX_TEXT:
            raise InvalidRecord(TOO_LARGE, f"{len(value)} characters", field=field)
        value = value.strip()
        if not value or (value[0] == "<" and value[-1] == ">" and len(value) > 2):
            return None
        return value
    if type(value) is int:
        if value.bit_length() > _MAX_ID_BITS:  # str() of a huge int is slow, then refused
            raise InvalidRecord(TOO_LARGE, f"a {value.bit_length()}-bit number", field=field)
        return str(value)  # Panther-style numeric ids
    if isinstance(value, str):  # str subclasses: rare, take the slow path
        return text(str(value), field)
    return None


def obj(value: object, field: str) -> Obj:
    """A nested object, decoding it when the exporter serialised it to a JSON string."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value[:1] == "{":
        decoded = embedded_json(value, field)
        if isinstance(decoded, Mapping):
            return decoded
    return _EMPTY


def arr(value: object, field: str) -> list[Any]:
    """A nested list, decoding JSON strings; anything else is an empty list."""
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value[:1] == "[":
        decoded = embedded_json(value, field)
        if isinstance(decoded, list):
            return decoded
    return []


def embedded_json(value: str, field: str) -> object:
    if len(value) > MAX_EMBEDDED_JSON:
        raise InvalidRecord(TOO_LARGE, f"embedded JSON of {len(value)} characters", field=field)
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return None  # a string that merely starts with a bracket


def get_ci(record: Obj, key: str) -> Any:
    """``record[key]``, falling back to a case-insensitive match (Panther lower-cases keys)."""
    value = record.get(key)
    if value is not None:
        return value
    lowered = key.lower()
    for name, candidate in record.items():
        if isinstance(name, str) and name.lower() == lowered:
            return candidate
    return None


def integer(value: object, field: str) -> int | None:
    """An int from an int, an integral float or a numeric string; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidRecord(INVALID_FIELD, "expected a number, got a boolean", field=field)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and len(value) <= 20:
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise InvalidRecord(
        INVALID_FIELD, f"expected a number, got {type(value).__name__}", field=field
    )


def number(value: object) -> float | None:
    """A finite float, or None: coordinates are optional, so garbage is dropped, not rejected.

    An integer beyond the double range (a 309-digit latitude, as msgspec decodes it) is None
    too, never an ``OverflowError``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            result = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str) and 0 < len(value) <= 32:
        try:
            result = float(value)
        except ValueError:
            return None
    else:
        return None
    return result if result == result and abs(result) != float("inf") else None


def boolean(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    if isinstance(value, int):
        return bool(value)
    return None


def ip(value: object) -> str | None:
    """A valid IP address in canonical form; malformed or placeholder addresses become None."""
    # inet_pton/inet_ntop validate and canonicalise in C: ipaddress.ip_address costs ~10 µs.
    if type(value) is not str or not value or len(value) > 64:
        return None
    family = AF_INET6 if ":" in value else AF_INET
    try:
        return inet_ntop(family, inet_pton(family, value.strip()))
    except (OSError, ValueError):
        return None


def looks_like_guid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4 and all(c in _HEX for c in value)


def resolve_user(
    upn: object, user_id: object, field: str = "userPrincipalName"
) -> tuple[str, str | None, str | None]:
    """``(user key, upn, user_id)``: the normalised UPN, else the lower-cased object id.

    Some exports put the object id in ``userPrincipalName``; that is not a UPN, so it only
    serves as a last resort.
    """
    upn_text, id_text = text(upn, field), text(user_id, "userId")
    guid_upn = upn_text if upn_text is not None and looks_like_guid(upn_text) else None
    if guid_upn is not None:
        upn_text = None
    clean_upn = normalize_identity(upn_text)
    clean_id = normalize_identity(id_text)
    user = clean_upn or clean_id or normalize_identity(guid_upn)
    if user is None:
        raw = (upn, user_id)
        if any(isinstance(v, str) and is_placeholder(v.strip()) for v in raw):
            raise InvalidRecord(PLACEHOLDER_VALUE, "user is a placeholder", field=field)
        raise InvalidRecord(MISSING_USER, "no user principal name or user id", field=field)
    return user, clean_upn, clean_id


def string_list(value: object, field: str) -> tuple[str, ...]:
    items = arr(value, field)
    return tuple(item for item in items[:64] if isinstance(item, str) and item)


_PHONE_NOISE = str.maketrans("", "", " -().\u00a0")


def phone(value: object, field: str) -> str | None:
    """E.164 (``+`` and 8-15 digits) when the number is complete; otherwise as delivered.

    Masked (``+12345678***``) and national numbers cannot be completed without guessing a
    country, so they are kept verbatim for display and exact matching.
    """
    raw = text(value, field)
    if raw is None:
        return None
    compact = raw.translate(_PHONE_NOISE)
    if compact[:4].lower() == "tel:":
        compact = compact[4:]
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    digits = compact[1:] if compact.startswith("+") else ""
    if digits.isdigit() and digits.isascii() and 8 <= len(digits) <= 15 and digits[0] != "0":
        return "+" + digits
    return raw
