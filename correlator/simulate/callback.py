"""Callback phishing, and the outbound calls that look like it.

Attack: an e-mail about a renewal tells people to call a "billing" number; several employees
call it within the hour; the attacker walks the first one through a self-service password
reset and signs in from abroad. A second campaign ends in an application consent instead: the
"support agent" has a caller approve an app that reads mail. Look-alikes: an all-staff meeting
where everyone dials the conference line at the same minute, and a vendor's support line that
people call all day (on the tenant's allow-list).
"""

from __future__ import annotations

from typing import Any

from correlator.simulate.calls import pstn_call
from correlator.simulate.catalog import UNREGISTERED
from correlator.simulate.consent import consent_record
from correlator.simulate.formats import Sign
from correlator.simulate.records import self_service_reset
from correlator.simulate.scenarios import agent_time, change_day, label, minutes
from correlator.simulate.tenant import User
from correlator.simulate.world import World

CONFERENCE_LINE = "+18885550140"  # fictional 555-01xx numbers
VENDOR_SUPPORT = "+18005550123"
ALLOWED_NUMBERS = (VENDOR_SUPPORT,)
DESCRIPTIONS = {
    "callback_phishing": "A renewal e-mail gave a 'billing' number; four employees called it "
    "within the hour; the first was talked through a self-service password reset and the "
    "attacker signed in from a commercial VPN abroad.",
    "callback_consent": "An invoice e-mail gave a 'support' number; three employees called it; "
    "the first was asked to approve 'Invoice Viewer Pro', which reads mail with offline access.",
    "all_staff_conference_line": "All-hands meeting: many employees dial the conference line "
    "within the same minute.",
    "vendor_support_line": "Employees call a software vendor's support line during the day "
    "(an allow-listed number).",
}


def outbound_call(w: World, at: int, caller: User, number: str, seconds: int) -> dict[str, Any]:
    """A PSTN call an employee places (``callType`` user_out), as getPstnCalls lists it."""
    row = pstn_call(w.rng, at, caller, number, seconds)
    row.update(callType="user_out", callerNumber=caller.did, calleeNumber=number)
    return row


def _free(w: World, count: int) -> list[User]:
    pool = [u for u in w.tenant.users if u.upn not in w.busy and not u.helpdesk]
    pool = [u for u in pool if u.first_day == 0 and u.travel is None] or pool
    chosen = w.rng.sample(pool, min(count, len(pool)))
    w.busy.update(u.upn for u in chosen)
    return chosen


def _crowd(w: World, count: int) -> list[User]:
    """One unclaimed user to label, and others who merely dial in (left free for others)."""
    chosen = _free(w, 1)
    if not chosen:
        return []
    first = chosen[0]
    others = [u for u in w.tenant.users if u is not first and not u.helpdesk]
    return [first, *w.rng.sample(others, min(count - 1, len(others)))]


def callback_phishing(w: World) -> None:
    callers = _free(w, 4)
    if len(callers) < 3:
        return  # a tenant too small for a campaign
    victim, number = callers[0], f"+1833555{w.rng.randrange(100, 200):04d}"
    start = agent_time(w, victim, change_day(w))
    calls = []
    for index, caller in enumerate(callers):
        at = start + index * minutes(w, 8, 15)
        calls.append(w.add_call(outbound_call(w, at, caller, number, w.rng.randrange(300, 1500))))
    reset_at = start + minutes(w, 10, 20)
    ip = victim.site.mobile_v4.address(w.rng)
    changes = w.add_audits(self_service_reset(w.rng, reset_at, victim, ip))
    net = w.tenant.plan.attacker_vpn
    signin = w.sign(Sign(victim, reset_at + minutes(w, 3, 10), net, net.address(w.rng),
                         UNREGISTERED, "officehome", methods=("Password",)))  # fmt: skip
    name, rule = "callback_phishing", "callback-campaign"
    text = DESCRIPTIONS[name]
    label(w, "attack", name, victim, reset_at, changes, "high", text, [signin], calls, [rule])


def callback_consent(w: World) -> None:
    callers = _free(w, 3)
    if len(callers) < 3:
        return
    victim, number = callers[0], f"+1844555{w.rng.randrange(100, 200):04d}"
    start = agent_time(w, victim, change_day(w))
    calls = [
        w.add_call(outbound_call(w, start + i * minutes(w, 5, 20), c, number, 900))
        for i, c in enumerate(callers)
    ]
    at = start + minutes(w, 15, 30)
    scopes = "openid profile offline_access Mail.Read"
    ip = victim.site.office_v4.address(w.rng)
    changes = w.add_audits([consent_record(w.rng, at, victim, "Invoice Viewer Pro", scopes, ip)])
    name = "callback_consent"
    label(w, "attack", name, victim, at, changes, "high", DESCRIPTIONS[name], (), calls,
          ["callback-campaign"])  # fmt: skip


def conference_line(w: World) -> None:
    people = _crowd(w, 12)
    if not people:
        return
    at = agent_time(w, people[0], change_day(w))
    calls = [
        w.add_call(outbound_call(w, at + w.rng.randrange(0, 60_000), p, CONFERENCE_LINE, 3600))
        for p in people
    ]
    name = "all_staff_conference_line"
    label(w, "lookalike", name, people[0], at, [], "not_high", DESCRIPTIONS[name], (), calls)


def vendor_line(w: World) -> None:
    people = _crowd(w, 6)
    if not people:
        return
    at = agent_time(w, people[0], change_day(w))
    calls = [
        w.add_call(outbound_call(w, at + i * minutes(w, 10, 30), p, VENDOR_SUPPORT, 900))
        for i, p in enumerate(people)
    ]
    name = "vendor_support_line"
    label(w, "lookalike", name, people[0], at, [], "not_high", DESCRIPTIONS[name], (), calls)
