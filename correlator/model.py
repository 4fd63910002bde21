"""Canonical events and findings: the one model every source maps onto.

Times are UTC epoch milliseconds (``int``) everywhere. Users are normalised identities
(lower-cased UPN, or an alias resolved to one, see ``correlator.identity``).

Structs are msgspec ``Struct``s: slotted, immutable, and cheap to encode for state stores and
topics. Enrichment is attached with ``msgspec.structs.replace``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal, get_args

import msgspec

CredentialKind = Literal[
    "password_reset",
    "mfa_reset",
    "mfa_method_added",
    "mfa_method_removed",
    "temporary_access_pass",
    "phone_changed",
    "self_service_reset",
]
CREDENTIAL_KINDS: tuple[str, ...] = get_args(CredentialKind)

ActorKind = Literal["helpdesk", "admin", "user", "system", "unknown"]
ChangeSource = Literal["audit", "ticket"]


class Severity(IntEnum):
    """OCSF ``severity_id`` values."""

    INFORMATIONAL = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5


class NetworkInfo(msgspec.Struct, frozen=True, omit_defaults=True):
    """What enrichment learned about a source IP (and what the log itself reported)."""

    internal: bool = False  # private, loopback, link-local or reserved: never looked up
    corporate: bool = False  # configured corporate egress (CIDR or ASN)
    country: str | None = None  # ISO 3166-1 alpha-2
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_km: float | None = None
    asn: int | None = None
    as_org: str | None = None
    vpn: bool = False
    public_proxy: bool = False
    residential_proxy: bool = False
    tor: bool = False
    hosting: bool = False
    intel: tuple[str, ...] = ()  # names of intel lists that hold this IP
    geo_source: Literal["geoip", "log", "none"] = "none"

    @property
    def anonymizer(self) -> tuple[str, ...]:
        if not (
            self.vpn or self.public_proxy or self.residential_proxy or self.tor or self.hosting
        ):
            return ()  # the common case, on the hot path
        flags = (
            ("vpn", self.vpn),
            ("public proxy", self.public_proxy),
            ("residential proxy", self.residential_proxy),
            ("tor", self.tor),
            ("hosting", self.hosting),
        )
        return tuple(name for name, on in flags if on)


# ``SignIn.app`` of VPN logins: the gateways report no device identity, so its absence is no
# evidence for them.
VPN_APP = "VPN"


class SignIn(msgspec.Struct, frozen=True, omit_defaults=True, tag="signin"):
    id: str
    time: int
    user: str
    success: bool
    error_code: int = 0
    user_id: str | None = None
    upn: str | None = None
    ip: str | None = None
    failure_reason: str | None = None
    device_id: str | None = None
    device_name: str | None = None
    device_os: str | None = None
    browser: str | None = None
    device_trust: str | None = None  # trustType: AzureAd, Hybrid Azure AD joined, Workplace...
    device_compliant: bool | None = None
    device_managed: bool | None = None
    user_agent: str | None = None
    app: str | None = None
    app_id: str | None = None
    client_app: str | None = None
    interactive: bool = True
    auth_requirement: str | None = None  # singleFactorAuthentication / multiFactorAuthentication
    mfa_method: str | None = None
    risk_level: str | None = None  # riskLevelDuringSignIn
    risk_state: str | None = None
    risk_event_types: tuple[str, ...] = ()
    log_country: str | None = None  # location as the sign-in log reports it
    log_city: str | None = None
    log_latitude: float | None = None
    log_longitude: float | None = None
    log_asn: int | None = None
    category: str | None = None  # SignInLogs, NonInteractiveUserSignInLogs, ...
    source_format: str | None = None  # graph, azure-monitor, log-analytics, a VPN format
    gateway: str | None = None  # VPN sign-ins: the gateway, portal or firewall that logged it
    network: NetworkInfo | None = None  # filled by enrichment
    failure_detail: str | None = None  # status.additionalDetails: "MFA denied; user declined..."

    @property
    def kind(self) -> str:
        return "signin"


class CredentialChange(msgspec.Struct, frozen=True, omit_defaults=True, tag="credential_change"):
    id: str
    time: int
    user: str  # the target, normalised
    kind: CredentialKind
    source: ChangeSource
    actor: str | None = None  # normalised actor identity (agent UPN, admin UPN, app name)
    actor_kind: ActorKind = "unknown"
    by_other: bool = False  # initiated by someone other than the target
    activity: str | None = None  # the source's own activity name
    target_id: str | None = None
    method: str | None = None  # MFA method touched, where known (phone, authenticator, tap...)
    actor_ip: str | None = None
    ticket_id: str | None = None
    caller_number: str | None = None  # E.164
    caller_verified: bool | None = None
    verification_method: str | None = None
    channel: str | None = None  # phone, chat, walk-in, portal, email
    privileged_target: bool = False
    source_format: str | None = None

    @property
    def kind_name(self) -> str:
        return self.kind


class CallRecord(msgspec.Struct, frozen=True, omit_defaults=True, tag="call"):
    id: str
    start: int
    user: str  # the employee called (callee), normalised
    # The outside party, E.164 (or masked, as delivered): who called in, or whom an outbound
    # call dialled.
    caller_number: str | None = None
    end: int | None = None
    direction: Literal["inbound", "outbound", "unknown"] = "inbound"
    external: bool = True
    caller_display: str | None = None
    call_type: str | None = None  # pstn user_in, ByotIn, peerToPeer, groupCall
    source_format: str | None = None

    @property
    def time(self) -> int:
        return self.start


class AppConsent(msgspec.Struct, frozen=True, omit_defaults=True, tag="app_consent"):
    """A user (or an admin, for everyone) granted an application delegated permissions."""

    id: str
    time: int
    user: str  # who consented, normalised
    app: str | None = None  # the service principal's display name
    app_id: str | None = None  # the service principal's object id
    permissions: tuple[str, ...] = ()  # delegated scopes: Mail.Read, offline_access...
    admin_consent: bool = False
    source_format: str | None = None


Event = SignIn | CredentialChange | CallRecord | AppConsent


def event_kind(event: Event) -> str:
    if isinstance(event, SignIn):
        return "signin"
    if isinstance(event, CredentialChange):
        return "credential_change"
    if isinstance(event, AppConsent):
        return "app_consent"
    return "call"


class Evidence(msgspec.Struct, frozen=True, omit_defaults=True):
    """One piece of evidence, in one family, with the sentence that explains it."""

    family: str  # device, network, anonymizer, travel, idp_risk, call, privilege, mfa
    code: str  # stable machine name, e.g. device.new
    sentence: str
    weight: int
    time: int | None = None
    signin_id: str | None = None


class TimelineEntry(msgspec.Struct, frozen=True, omit_defaults=True):
    time: int
    kind: str  # credential_change, signin, call
    text: str
    ref: str | None = None  # id of the event


class Observables(msgspec.Struct, frozen=True, omit_defaults=True):
    ips: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    user_agents: tuple[str, ...] = ()


class SignInView(msgspec.Struct, frozen=True, omit_defaults=True):
    """The sign-in facts a finding reports about the sign-in it leans on most."""

    id: str
    time: int
    ip: str | None = None
    country: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    asn: int | None = None
    as_org: str | None = None
    device_id: str | None = None
    device_name: str | None = None
    device_os: str | None = None
    user_agent: str | None = None
    app: str | None = None
    success: bool = True


class Finding(msgspec.Struct, frozen=True, omit_defaults=True):
    uid: str
    rule_id: str
    title: str
    user: str
    severity: Severity
    score: int  # 0..100
    activity: Literal["create", "update", "close"]
    revision: int  # 1 on create, +1 per update
    start_time: int
    end_time: int
    summary: str
    change_ids: tuple[str, ...] = ()
    changes: tuple[CredentialChange, ...] = ()
    signin: SignInView | None = None
    evidence: tuple[Evidence, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    attacks: tuple[str, ...] = ()  # MITRE technique ids
    remediation: tuple[str, ...] = ()
    observables: Observables = Observables()
    baseline_mature: bool = True
    families: tuple[str, ...] = ()
    superseded_by: str | None = None
    user_id: str | None = None
    # The alerts topic's message key when not the user: a keyed rule's finding may name a
    # different user from one version to the next, yet all its versions must share a partition.
    message_key: str | None = None
