"""The symmetric event-time interval join, per user: credential changes ⋈ sign-ins.

Each side is stored in the user's state as it arrives; an incident is then re-derived from
*all* stored changes, and its window reads the stored sign-ins. Because incidents and windows
are a pure function of the stored sets, the result does not depend on which side came first.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Protocol, TypeVar

from correlator.config import DetectionConfig
from correlator.context import Incident as Incident
from correlator.context import SignInFacts, change_order, is_anchor
from correlator.model import CallRecord, CredentialChange


def group_incidents(
    user: str,
    changes: list[CredentialChange],
    config: DetectionConfig,
    opens: Callable[[CredentialChange], bool] = is_anchor,
) -> list[Incident]:
    """The user's incidents: the changes that ``opens`` accepts, grouped when close together."""
    anchors = sorted((c for c in changes if opens(c)), key=change_order)
    groups: list[list[CredentialChange]] = []
    for change in anchors:
        if groups and change.time - groups[-1][-1].time <= config.incident_gap_ms:
            groups[-1].append(change)
        else:
            groups.append([change])
    return [Incident(user, tuple(group)) for group in groups]


class _Timed(Protocol):
    time: int


Timed = TypeVar("Timed", bound=_Timed)


def insort_by_time(items: list[Timed], item: Timed) -> None:
    """``bisect.insort`` by event time, after any of equal time. Events come nearly in order,
    so this nearly always appends, without the key function's calls."""
    if not items or items[-1].time <= item.time:
        items.append(item)
    else:
        bisect.insort(items, item, key=lambda i: i.time)


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
