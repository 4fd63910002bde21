"""Teams call records, sessions, PSTN and Direct Routing rows onto ``CallRecord``.

``CallRecord.user`` is the employee who was called. A Teams call record yields one record per
callee user (from its sessions when expanded, else from its participants); PSTN and Direct
Routing rows are one call of one user. Masked numbers (``+12345678***``) stay as delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from correlator.errors import InvalidRecord
from correlator.model import CallRecord
from correlator.sources.fields import arr, obj, phone, resolve_user, text
from correlator.sources.reasons import MISSING_USER
from correlator.sources.timeparse import parse_time

_MAX_PARTIES = 256


class Party(NamedTuple):
    user: str | None  # normalised UPN or object id when the party is a tenant-style user
    oid: str | None  # object id, to recognise one person listed with and without a UPN
    tenant: str | None
    number: str | None
    display: str | None


def pstn_row(row: Mapping[str, Any], source_format: str) -> list[CallRecord]:
    start = parse_time(row.get("startDateTime"), "startDateTime")
    user, _, _ = resolve_user(row.get("userPrincipalName"), row.get("userId"))
    call_type = text(row.get("callType"), "callType")
    direction = _direction(call_type)
    # An outbound row's callerNumber is the employee's own line: the outside party is the callee.
    remote = "calleeNumber" if direction == "outbound" else "callerNumber"
    record_id = text(row.get("id"), "id") or text(row.get("callId"), "callId")
    return [
        CallRecord(
            id=record_id or f"{source_format}:{user}:{start}",
            start=start,
            user=user,
            caller_number=phone(row.get(remote), remote),
            end=_optional_time(row.get("endDateTime")),
            direction=direction,
            external=True,  # a PSTN leg always reaches outside the tenant
            call_type=call_type,
            source_format=source_format,
        )
    ]


def _direction(call_type: str | None) -> Any:
    lowered = (call_type or "").lower()
    if lowered.endswith("_in") or lowered.startswith("byotin"):
        return "inbound"
    if "out" in lowered:
        return "outbound"
    return "unknown"


def _optional_time(value: object) -> int | None:
    try:
        return parse_time(value, "endDateTime")
    except InvalidRecord:
        return None  # end times are informative; sentinels and gaps are common


def call_record(record: Mapping[str, Any]) -> list[CallRecord]:
    start = parse_time(record.get("startDateTime"), "startDateTime")
    end = _optional_time(record.get("endDateTime"))
    call_type = text(record.get("type"), "type")
    sessions = [
        s for s in arr(record.get("sessions"), "sessions")[:_MAX_PARTIES] if isinstance(s, Mapping)
    ]
    if sessions:
        pairs = [_session_pair(s) for s in sessions]
    else:
        organizer = _organizer(record)
        pairs = [(organizer, p) for p in _participants(record) if not _same(p, organizer)]
    record_id = text(record.get("id"), "id") or f"call:{start}"
    return _records(record_id, start, end, call_type, pairs)


def call_session(session: Mapping[str, Any]) -> list[CallRecord]:
    start = parse_time(session.get("startDateTime"), "startDateTime")
    end = _optional_time(session.get("endDateTime"))
    record_id = text(session.get("id"), "id") or f"session:{start}"
    return _records(record_id, start, end, None, [_session_pair(session)])


def _records(
    record_id: str,
    start: int,
    end: int | None,
    call_type: str | None,
    pairs: list[tuple[Party, Party]],
) -> list[CallRecord]:
    out: dict[str, CallRecord] = {}
    for caller, callee in pairs:
        if callee.user is None or callee.user in out:
            continue
        out[callee.user] = CallRecord(
            id=f"{record_id}:{callee.user}",
            start=start,
            user=callee.user,
            caller_number=caller.number,
            end=end,
            direction="inbound",
            external=_external(caller, callee),
            caller_display=caller.display,
            call_type=call_type,
            source_format="graph",
        )
    if not out:
        raise InvalidRecord(
            MISSING_USER, "no callee user (participants not expanded?)", field="participants"
        )
    return list(out.values())


def _same(one: Party, other: Party) -> bool:
    return (one.user is not None and one.user == other.user) or (
        one.oid is not None and one.oid == other.oid
    )


def _external(caller: Party, callee: Party) -> bool:
    if caller.user is None:
        return True  # PSTN, guest or anonymous caller
    return (
        caller.tenant is not None and callee.tenant is not None and caller.tenant != callee.tenant
    )


def _organizer(record: Mapping[str, Any]) -> Party:
    organizer = obj(record.get("organizer"), "organizer")
    if organizer:
        return _party(organizer)
    return _party(obj(obj(record.get("organizer_v2"), "organizer_v2").get("identity"), "identity"))


def _participants(record: Mapping[str, Any]) -> list[Party]:
    legacy = arr(record.get("participants"), "participants")[:_MAX_PARTIES]
    current = arr(record.get("participants_v2"), "participants_v2")[:_MAX_PARTIES]
    parties = [_party(p) for p in legacy if isinstance(p, Mapping)]
    parties += [
        _party(obj(p.get("identity"), "identity")) for p in current if isinstance(p, Mapping)
    ]
    return parties


def _session_pair(session: Mapping[str, Any]) -> tuple[Party, Party]:
    return _endpoint(obj(session.get("caller"), "caller")), _endpoint(
        obj(session.get("callee"), "callee")
    )


def _endpoint(endpoint: Mapping[str, Any]) -> Party:
    associated = obj(endpoint.get("associatedIdentity"), "associatedIdentity")
    if associated:
        return _user_party(associated)
    return _party(obj(endpoint.get("identity"), "identity"))


def _party(identity_set: Mapping[str, Any]) -> Party:
    """An ``identitySet``: a tenant user, or a phone / guest / ACS identity (external)."""
    user = obj(identity_set.get("user"), "user")
    if user:
        return _user_party(user)
    number = obj(identity_set.get("phone"), "phone")
    for key in (
        "guest",
        "acsUser",
        "spoolUser",
        "encrypted",
        "onPremises",
        "azureCommunicationServicesUser",
    ):
        other = obj(identity_set.get(key), key)
        if other:
            tenant = text(other.get("tenantId"), "tenantId")
            return Party(None, None, tenant, None, text(other.get("displayName"), "displayName"))
    number_text = phone(number.get("id"), "phone.id")
    return Party(
        None, None, None, number_text, text(number.get("displayName"), "phone.displayName")
    )


def _user_party(user: Mapping[str, Any]) -> Party:
    try:
        key, _, _ = resolve_user(user.get("userPrincipalName"), user.get("id"))
    except InvalidRecord:
        key = None
    oid = text(user.get("id"), "user.id")
    tenant = text(user.get("tenantId"), "tenantId")
    display = text(user.get("displayName"), "displayName")
    return Party(key, oid.lower() if oid else None, tenant, None, display)
