"""Labelled scenarios: what a scenario needs (a user, a day, a helpdesk change) and its label.

Each scenario claims its own user, so labels never overlap. The label is the ground truth a
backtest compares alerts with: ``expected`` is "high" for an account takeover, "not_high" for a
look-alike and "at_most_medium" for a takeover attempt that never got in; ``detections`` maps
the rules that must alert on the user to the least severity each must reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from correlator.simulate.calls import ticket
from correlator.simulate.catalog import iso_seconds
from correlator.simulate.records import (
    admin_password_reset,
    mfa_wipe,
    temporary_access_pass,
)
from correlator.simulate.tenant import User
from correlator.simulate.world import MINUTE_MS, World

_AUDITS = {
    "password_reset": admin_password_reset,
    "mfa_reset": mfa_wipe,
    "temporary_access_pass": temporary_access_pass,
}


def pick_user(w: World, *, privileged: bool = False, traveller: bool = False) -> User:
    """An unclaimed ordinary user (or an administrator), with a full history by default."""
    pool = [
        u
        for u in w.tenant.users
        if u.upn not in w.busy
        and not u.helpdesk
        and u.privileged == privileged
        and u.first_day == 0
        and (u.travel is not None) == traveller
    ]
    if not pool:  # tiny tenants: relax everything but "unclaimed and not an agent"
        pool = [u for u in w.tenant.users if u.upn not in w.busy and not u.helpdesk]
    user = w.rng.choice(pool)
    w.busy.add(user.upn)
    return user


def change_day(w: World) -> int:
    """A workday late enough that the user has a baseline (≥ 3 days of history) if possible."""
    low = min(w.days - 1, max(3, w.days // 2))
    days = [d for d in range(low, w.days) if w.is_workday(d)] or list(range(low, w.days))
    return w.rng.choice(days)


def agent_time(w: World, user: User, day: int) -> int:
    """A moment in ``user``'s business hours: when a caller can pass for them (the service
    desk follows the sun)."""
    return w.local(day, w.rng.uniform(9.5, 16.0), user.site.office_v4.place.utc_offset)


def helpdesk_change(
    w: World,
    target: User,
    agent: User,
    at: int,
    actions: Iterable[str],
    caller: str,
    verification: str,
    channel: str = "phone",
) -> list[str]:
    """The agent's ticket entries and the audit records of what the agent did, in order."""
    rng = w.rng
    ids: list[str] = []
    ip = agent.site.office_v4.address(rng)
    when = at
    for action in actions:
        entry = ticket(rng, when, target, agent, action, caller, verification, channel)
        ids.append(w.add_ticket(entry))
        audit_at = when + rng.randrange(15_000, 90_000)
        ids += w.add_audits(_AUDITS[action](rng, audit_at, agent, target, ip))
        when = audit_at + rng.randrange(20_000, 120_000)
    return ids


def label(
    w: World,
    kind: str,
    scenario: str,
    user: User,
    change_time: int,
    change_ids: list[str],
    expected: str,
    description: str,
    signin_ids: Iterable[str] = (),
    call_ids: Iterable[str] = (),
    detections: Iterable[str] | Mapping[str, str] = (),
) -> None:
    entry: dict[str, Any] = {
        "id": f"{kind}-{len(w.labels) + 1:03d}-{scenario}",
        "kind": kind,
        "scenario": scenario,
        "user": user.upn,
        "change_time": iso_seconds(change_time),
        "change_ids": list(change_ids),
        "expected": expected,
        "description": description,
        "signin_ids": list(signin_ids),
        "call_ids": list(call_ids),
        # rule id -> the least severity it must reach on this user ("high" when only named)
        "detections": dict(detections)
        if isinstance(detections, Mapping)
        else dict.fromkeys(detections, "high"),
    }
    w.labels.append(entry)


def minutes(w: World, low: float, high: float) -> int:
    return int(w.rng.uniform(low, high) * MINUTE_MS)
