"""Palo Alto GlobalProtect: the PAN-OS syslog GLOBALPROTECT log (PAN-OS 9.1 and later).

The message is CSV in the documented field order (``FUTURE_USE, Receive Time, Serial Number,
Type, Threat/Content Type, FUTURE_USE, Generated Time, Virtual System, Event ID, Stage,
Authentication Method, Tunnel Type, Source User, Source Region, Machine Name, Public IP, ...``);
fields holding a comma are double-quoted. Logins are the ``gateway-auth`` events (success or
failure) and failed ``portal-auth`` events: a successful connection also logs a successful
portal-auth, and counting both would count every login twice. Other GlobalProtect events
(prelogin, config, HIP, logout...) are valid and ignored; other PAN-OS log types (TRAFFIC,
THREAT...) are not consumed.

Time: the high-resolution timestamp (ISO 8601 with an offset) when the firewall writes it, else
the RFC 5424 header, else Generated Time, which is the firewall's local time (taken as UTC).
"""

from __future__ import annotations

import csv
import re

from correlator.errors import InvalidRecord
from correlator.model import SignIn
from correlator.sources.reasons import INVALID_FIELD, IRRELEVANT_ACTIVITY, UNSUPPORTED_CATEGORY
from correlator.sources.syslog import SyslogLine, split_header
from correlator.sources.timeparse import parse_time
from correlator.sources.vpn import PANOS_GLOBALPROTECT, VpnLogin, to_signin

PANOS_CSV = re.compile(r"[^,]*,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,")
_MAX_FIELDS = 128
_MIN_FIELDS = 29  # through Status: the PAN-OS 9.1 layout
_LOGINS = frozenset({"gateway-auth"})
_FAILED_ONLY = frozenset({"portal-auth"})
# Field positions in the documented order.
_GEN_TIME, _SERIAL, _TYPE, _EVENT, _USER = 6, 2, 3, 8, 12
_MACHINE, _PUBLIC_IP, _PUBLIC_IP6, _HOST_ID = 14, 15, 16, 19
_CLIENT_OS, _CLIENT_OS_VERSION, _ERROR, _STATUS = 22, 23, 26, 28
_PORTAL, _SEQUENCE, _HIGH_RES, _GATEWAY, _DEVICE = 33, 34, 36, 41, 47


def globalprotect_signin(line: SyslogLine) -> list[SignIn]:
    header = split_header(line.text)
    row = _fields(header.message)
    if row[_TYPE] != "GLOBALPROTECT":
        raise InvalidRecord(
            UNSUPPORTED_CATEGORY, f"PAN-OS log type {row[_TYPE][:40]!r} is not consumed"
        )
    event, status = row[_EVENT].lower(), row[_STATUS].lower()
    if status not in ("success", "failure"):
        raise InvalidRecord(INVALID_FIELD, f"status {status[:40]!r}", field="Status")
    if event not in _LOGINS and not (event in _FAILED_ONLY and status == "failure"):
        raise InvalidRecord(IRRELEVANT_ACTIVITY, f"GlobalProtect event {event[:40]!r}")
    login = VpnLogin(
        source_format=PANOS_GLOBALPROTECT,
        time=_time(row, header.time),
        user=row[_USER],
        success=status == "success",
        ip=row[_PUBLIC_IP] or row[_PUBLIC_IP6],
        gateway=_at(row, _GATEWAY) or _at(row, _PORTAL) or _at(row, _DEVICE) or header.host,
        client="GlobalProtect",
        device_os=_os(row[_CLIENT_OS], row[_CLIENT_OS_VERSION]),
        device_name=row[_MACHINE],
        device_id=row[_HOST_ID],
        failure_reason=row[_ERROR] or None,
        event_id=_event_id(row),
    )
    return [to_signin(login)]


def _fields(message: str) -> list[str]:
    try:
        rows = list(csv.reader([message], strict=True))
    except csv.Error as exc:
        raise InvalidRecord(INVALID_FIELD, f"PAN-OS CSV: {exc}") from exc
    row = rows[0] if rows else []
    if len(row) < _MIN_FIELDS or len(row) > _MAX_FIELDS:
        raise InvalidRecord(INVALID_FIELD, f"PAN-OS log with {len(row)} fields")
    return [field.strip() for field in row]


def _os(name: str, version: str) -> str | None:
    """Client OS ``Windows`` with version ``Microsoft Windows 11 Pro , 64-bit``: say it once."""
    if name and version and name.lower() in version.lower():
        return version
    return " ".join(v for v in (name, version) if v) or None


def _at(row: list[str], index: int) -> str | None:
    return (row[index] or None) if index < len(row) else None


def _time(row: list[str], header_time: int | None) -> int | None:
    high_res = _at(row, _HIGH_RES)
    if high_res is not None:
        try:
            return parse_time(high_res, "High Res Timestamp")
        except InvalidRecord:
            pass  # fall back on the coarser times below
    if header_time is not None:
        return header_time
    generated = row[_GEN_TIME]
    if not generated:
        return None
    return parse_time(generated.replace("/", "-", 2), "Generated Time")


def _event_id(row: list[str]) -> str | None:
    sequence = _at(row, _SEQUENCE)
    if sequence is None or not sequence.isdigit():
        return None
    return f"panos:{row[_SERIAL]}:{sequence}"  # sequence numbers are per firewall
