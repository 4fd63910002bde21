"""The symmetric event-time interval join, per user: credential changes ⋈ sign-ins.

Each side is stored in the user's state as it arrives; an incident is then re-derived from
*all* stored changes, and its window reads the stored sign-ins. Because incidents and windows
are a pure function of the stored sets, the result does not depend on which side came first.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass

from correlator.config import DetectionConfig
from correlator.engine.state import SignInFacts
from correlator.model import CallRecord, CredentialChange

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
        text = f"{rule_id}|{self.user}|{self.anchor.id}".encode()
        return hashlib.sha256(text).hexdigest()[:32]


def change_order(change: CredentialChange) -> tuple[int, str]:
    return change.time, change.id


def group_incidents(
    user: str, changes: list[CredentialChange], config: DetectionConfig
) -> list[Incident]:
    anchors = sorted((c for c in changes if is_anchor(c)), key=change_order)
    groups: list[list[CredentialChange]] = []
    for change in anchors:
        if groups and change.time - groups[-1][-1].time <= config.incident_gap_ms:
            groups[-1].append(change)
        else:
            groups.append([change])
    return [Incident(user, tuple(group)) for group in groups]


def signins_between(recent: list[SignInFacts], start: int, end: int) -> list[SignInFacts]:
    """Sign-ins with start <= time <= end; ``recent`` is kept sorted by time."""
    low = bisect.bisect_left(recent, start, key=lambda f: f.time)
    high = bisect.bisect_right(recent, end, key=lambda f: f.time)
    return recent[low:high]


def calls_before(
    calls: list[CallRecord], incident: Incident, config: DetectionConfig
) -> list[CallRecord]:
    start = incident.first_time - config.call_lookback_ms
    end = incident.last_time + config.skew_ms
    return sorted((c for c in calls if start <= c.start <= end), key=lambda c: (c.start, c.id))


def follow_up_changes(
    changes: list[CredentialChange], incident: Incident, config: DetectionConfig
) -> list[CredentialChange]:
    """The user's own MFA registrations inside the incident's window, after it began."""
    start, end = incident.first_time, incident.last_time + config.window_ms
    return sorted(
        (c for c in changes if not is_anchor(c) and start <= c.time <= end), key=change_order
    )
