"""What rules read: sign-in facts, the user's profile, an incident and its context.

This module sits below both the engine and the rules (runtime → engine → rules → context →
model): the engine builds these values, a rule only reads them. Everything here is plain data
or a pure function over it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import msgspec

from correlator.config import DAY_MS, DetectionConfig
from correlator.model import AppConsent, CallRecord, CredentialChange

EARTH_RADIUS_KM = 6371.0088


class Seen(msgspec.Struct, array_like=True):
    """First and last event time an attribute value was seen in a successful sign-in."""

    first: int
    last: int
    count: int = 1


class GeoPoint(msgspec.Struct, array_like=True):
    time: int
    latitude: float
    longitude: float
    accuracy_km: float
    country: str | None = None


class Profile(msgspec.Struct, omit_defaults=True):
    devices: dict[str, Seen] = msgspec.field(default_factory=dict)
    countries: dict[str, Seen] = msgspec.field(default_factory=dict)
    asns: dict[str, Seen] = msgspec.field(default_factory=dict)
    prefixes: dict[str, Seen] = msgspec.field(default_factory=dict)
    agents: dict[str, Seen] = msgspec.field(default_factory=dict)
    days: dict[int, int] = msgspec.field(default_factory=dict)  # epoch day -> sign-ins
    geo: list[GeoPoint] = msgspec.field(default_factory=list)  # newest last, bounded
    # Solar UTC offsets (hours, from longitude) of the user's located sign-ins: where they live.
    offsets: dict[str, Seen] = msgspec.field(default_factory=dict)
    # VPN/proxy/hosting exits the user signs in through (/24, /48) -> the earliest distinct
    # epoch days seen (a few): their own exit is not an anonymizer.
    exits: dict[str, list[int]] = msgspec.field(default_factory=dict)


class SignInFacts(msgspec.Struct, array_like=True, omit_defaults=True):
    """The compact view of a sign-in kept for the join (a raw sign-in is ~2 KB)."""

    id: str
    time: int
    success: bool
    interactive: bool
    ip: str | None = None
    device_id: str | None = None
    device_name: str | None = None
    device_os: str | None = None
    managed: bool = False
    agent: str | None = None
    user_agent: str | None = None
    app: str | None = None
    country: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_km: float | None = None
    asn: int | None = None
    as_org: str | None = None
    prefix: str | None = None
    anonymizer: tuple[str, ...] = ()
    corporate: bool = False
    internal: bool = False
    intel: tuple[str, ...] = ()
    risk_level: str | None = None
    risk_events: tuple[str, ...] = ()
    error_code: int = 0
    suspect: bool = False  # unfamiliar when it arrived: kept longer, see trim.py
    error_detail: str | None = None  # how a failure happened (MFA denied, timed out...)


# A user's own routine registrations are evidence after a reset, never an incident by themselves.
_SELF_ROUTINE = frozenset({"mfa_method_added", "mfa_method_removed", "phone_changed"})


def is_anchor(change: CredentialChange) -> bool:
    """Does this change open (or join) an incident?"""
    return change.by_other or change.kind not in _SELF_ROUTINE


@dataclass(frozen=True)
class Incident:
    """One act: a user's anchoring credential changes that lie close together."""

    user: str
    changes: tuple[CredentialChange, ...]

    @property
    def anchor(self) -> CredentialChange:
        return self.changes[0]

    @property
    def first_time(self) -> int:
        return self.changes[0].time

    @property
    def last_time(self) -> int:
        return self.changes[-1].time

    @property
    def by_other(self) -> bool:
        return any(c.by_other or c.kind == "temporary_access_pass" for c in self.changes)

    def window(self, config: DetectionConfig) -> tuple[int, int]:
        return self.first_time - config.skew_ms, self.last_time + config.window_ms

    def uid(self, rule_id: str) -> str:
        return finding_uid(rule_id, self.user, self.anchor.id)


def finding_uid(rule_id: str, user: str, anchor_id: str) -> str:
    """Deterministic: the same rule, user and anchoring event give the same finding uid."""
    return hashlib.sha256(f"{rule_id}|{user}|{anchor_id}".encode()).hexdigest()[:32]


def change_order(change: CredentialChange) -> tuple[int, str]:
    return change.time, change.id


def known_before(profile: Profile, attribute: str, value: str | None, cutoff: int) -> bool:
    """Was ``value`` seen in a successful sign-in before ``cutoff`` (event time)?"""
    if not value:
        return False
    seen = getattr(profile, attribute).get(value)
    return seen is not None and seen.first < cutoff


def learned_egress(config: DetectionConfig, facts: SignInFacts) -> int:
    """How many of the tenant's users share this sign-in's network (0: not a learned egress)."""
    by_asn = config.learned_asns.get(facts.asn, 0) if facts.asn is not None else 0
    return max(by_asn, config.learned_prefixes.get(facts.prefix or "", 0))


def trusted_app(config: DetectionConfig, consent: AppConsent) -> bool:
    """An application the tenant lets users consent to freely (by name or id, any case)."""
    trusted = {a.lower() for a in config.consent_trusted_apps}
    return (consent.app or "").lower() in trusted or (consent.app_id or "").lower() in trusted


def exit_days(profile: Profile, prefix: str | None, cutoff: int) -> int:
    """On how many days before ``cutoff`` the user signed in through this anonymizing exit.

    The earliest days are kept, so the answer does not depend on the order sign-ins arrive in.
    """
    days = profile.exits.get(prefix or "", ())
    return sum(1 for day in days if day < cutoff // DAY_MS)


def first_seen(profile: Profile, attribute: str, value: str | None) -> int | None:
    seen = getattr(profile, attribute).get(value) if value else None
    return seen.first if seen else None


@dataclass(frozen=True)
class Maturity:
    signins: int
    days: int
    mature: bool


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class IncidentContext:
    """Everything a rule may read about one incident; built by the engine, never mutated."""

    incident: Incident
    signins: tuple[SignInFacts, ...]  # inside the incident's window, by time
    calls: tuple[CallRecord, ...]  # before the incident, inside the call lookback
    follow_ups: tuple[CredentialChange, ...]  # the user's own MFA registrations after it
    profile: Profile
    maturity: Maturity
    privileged: bool
    config: DetectionConfig
    previous_point: Callable[[int], GeoPoint | None]  # the last located sign-in before a time
    history: tuple[CredentialChange, ...] = ()  # every change of the user still in state


@dataclass(frozen=True)
class SignInWindow:
    """What a sign-in rule reads: one successful sign-in and the user's sign-ins before it."""

    user: str
    signin: SignInFacts  # the successful interactive sign-in the finding is about
    before: tuple[SignInFacts, ...]  # interactive sign-ins in the rule's window before it
    profile: Profile
    maturity_of: Callable[[], Maturity]  # the history before the window; see ``maturity``
    config: DetectionConfig
    user_id: str | None = None

    @cached_property
    def maturity(self) -> Maturity:
        """Counted when a rule first reads it: nearly every sign-in is dismissed before that
        (no refused prompts before it), and counting the profile's days is the larger cost."""
        return self.maturity_of()

    def uid(self, rule_id: str) -> str:
        return finding_uid(rule_id, self.user, self.signin.id)


@dataclass(frozen=True)
class ConsentContext:
    """What a consent rule reads: one application consent and what came before it."""

    user: str
    consent: AppConsent
    calls: tuple[CallRecord, ...]  # the user's calls in the window before the consent
    changes: tuple[CredentialChange, ...]  # the user's credential changes in that window
    config: DetectionConfig
    user_id: str | None = None

    def uid(self, rule_id: str) -> str:
        return finding_uid(rule_id, self.user, self.consent.id)
