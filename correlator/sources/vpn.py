"""VPN authentication events as sign-ins: what the three gateway parsers share.

A VPN login becomes a ``SignIn`` with ``app = "VPN"``, the client (GlobalProtect, AnyConnect,
FortiClient) in ``client_app``, the client OS in ``device_os`` and the gateway in ``gateway``;
it then feeds the baseline and the join exactly as an Entra sign-in does.

Usernames: ``DOMAIN\\user`` (NetBIOS prefix, as RADIUS/LDAP logins arrive) keeps only
``user``; ``user@domain`` is kept whole as a UPN. Map short names onto UPNs with the
``aliases`` setting (or the directory sync) so that both name the same person.
"""

from __future__ import annotations

from dataclasses import dataclass

from correlator.errors import InvalidRecord
from correlator.identity import normalize_identity
from correlator.model import VPN_APP, SignIn
from correlator.sources.fields import MAX_TEXT, ip, is_placeholder
from correlator.sources.reasons import MISSING_TIME, MISSING_USER, PLACEHOLDER_VALUE, TOO_LARGE

PANOS_GLOBALPROTECT = "panos.globalprotect"
CISCO_ASA = "cisco_asa.vpn"
FORTIGATE_SSLVPN = "fortigate.vpn"

# Values vendors write where a user is unknown or hidden (ASA ``logging hide username``).
_NO_USER = frozenset({"n/a", "unknown", "pre-login", "-", "none"})
_MAX_USER = 256


@dataclass(frozen=True, slots=True)
class VpnLogin:
    """One login as a gateway reports it, before it becomes a ``SignIn``."""

    source_format: str
    time: int | None
    user: str | None
    success: bool
    ip: str | None
    gateway: str | None
    client: str
    device_os: str | None = None
    device_name: str | None = None
    device_id: str | None = None
    failure_reason: str | None = None
    event_id: str | None = None  # the vendor's own record id, where it has one


def vpn_user(raw: str | None, field: str = "user") -> tuple[str, str | None]:
    """``(user key, upn)`` of a VPN username, or ``InvalidRecord`` (missing / placeholder)."""
    value = (raw or "").strip().strip('"')
    if len(value) > _MAX_USER:
        raise InvalidRecord(TOO_LARGE, f"username of {len(value)} characters", field=field)
    if value and is_placeholder(value):
        raise InvalidRecord(PLACEHOLDER_VALUE, "user is a placeholder", field=field)
    if not value or value.lower() in _NO_USER or set(value) == {"*"}:
        detail = "username hidden by the gateway" if "*" in value else "no username"
        raise InvalidRecord(MISSING_USER, detail, field=field)
    if "\\" in value:
        value = value.rsplit("\\", 1)[1]  # NETBIOS\\sam: the domain is not part of the identity
    user = normalize_identity(value)
    if user is None:
        raise InvalidRecord(MISSING_USER, "no username", field=field)
    return user, user if "@" in user else None


def to_signin(login: VpnLogin) -> SignIn:
    if login.time is None:
        raise InvalidRecord(
            MISSING_TIME,
            "no event time: the syslog header has no year and the message none either "
            "(send RFC 5424, or a timestamp with the year)",
            field="time",
        )
    user, upn = vpn_user(login.user)
    address = ip(login.ip)
    return SignIn(
        id=login.event_id or _id(login, user, address),
        time=login.time,
        user=user,
        success=login.success,
        error_code=0 if login.success else -1,
        upn=upn,
        ip=address,
        failure_reason=None if login.success else (login.failure_reason or "rejected"),
        device_id=_short(login.device_id),
        device_name=_short(login.device_name),
        device_os=_short(login.device_os),
        app=VPN_APP,
        client_app=login.client,
        category="vpn",
        source_format=login.source_format,
        gateway=_short(login.gateway),
    )


def _id(login: VpnLogin, user: str, address: str | None) -> str:
    # Deterministic, so that a re-delivered line yields the same event.
    parts = (login.source_format, login.gateway or "", user, str(login.time), address or "")
    return "vpn:" + ":".join(parts) + (":ok" if login.success else ":fail")


def _short(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().strip('"')
    if not value or value.lower() in _NO_USER or is_placeholder(value):
        return None
    return value[:MAX_TEXT]
