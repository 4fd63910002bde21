"""Patterns beyond the helpdesk join, each with its benign look-alike.

They run after everything else, so a tenant generated without them (``patterns=False``) is
record for record the tenant generated before they existed.
"""

from __future__ import annotations

import dataclasses

from correlator.simulate.activity import home_network
from correlator.simulate.attacks import ATTACKER_MAC, attacker_number
from correlator.simulate.calls import pstn_call
from correlator.simulate.consent import consent_phishing_call, wellknown_app_consent
from correlator.simulate.formats import Sign
from correlator.simulate.records import admin_password_reset, self_service_reset, user_registered
from correlator.simulate.scenarios import (
    agent_time,
    change_day,
    helpdesk_change,
    label,
    minutes,
    pick_user,
)
from correlator.simulate.tenant import User, phone
from correlator.simulate.world import DAY_MS, World

MFA = ("Password", "Mobile app notification")
DESCRIPTIONS = {
    "vishing_chain_self_service": "Caller posing as IT phoned the employee and talked them "
    "through a self-service password reset; the attacker signed in from a cloud server minutes "
    "later and registered an authenticator. No helpdesk involved.",
    "mfa_fatigue_push_spam": "The attacker, holding the password, signed in again and again "
    "from a VPN; the user declined or ignored the pushes for a quarter of an hour, then "
    "approved one.",
    "mfa_timeout_then_approve": "The user missed one push (phone in another room), signed in "
    "again and approved it, from their own laptop at home.",
    "call_campaign_then_helpdesk": "One number rang five employees within the hour, one "
    "after the other, then phoned the service desk as one of them and had the password reset.",
    "conference_bridge": "A conference bridge dialled out to a dozen employees at the start of "
    "a meeting, on two days; one of them reset their own password that afternoon.",
    "helpdesk_after_hours_other_caller": "The user had called the desk from their own mobile "
    "the day before; late in the evening a different number asked for a password reset on the "
    "same account and the agent skipped verification.",
    "agent_reset_burst": "A helpdesk agent's account reset ten accounts in under an hour.",
    "helpdesk_busy_monday": "A helpdesk agent's busy Monday: a dozen verified resets for "
    "colleagues at the same site, spread over the working day.",
    "lost_phone_own_vpn": "Phone lost: the desk wiped the old MFA methods after a verified "
    "callback, and the new phone signed in through the privacy VPN the user has run for days, "
    "then registered the authenticator.",
    "customer_call_then_own_reset": "A customer phoned the employee from outside; later that "
    "morning the employee reset their own password and signed in from their own laptop at "
    "home.",
}


def vishing_chain_self_service(w: World) -> None:
    target = pick_user(w)
    at = w.local(change_day(w), w.rng.uniform(10.0, 15.0), target.site.office_v4.place.utc_offset)
    call = w.add_call(pstn_call(w.rng, at - minutes(w, 8, 25), target, attacker_number(w), 420))
    mobile = target.site.mobile_v4
    changes = w.add_audits(self_service_reset(w.rng, at, target, mobile.address(w.rng)))
    net = w.tenant.plan.attacker_hosting
    ip, when = net.address(w.rng), at + minutes(w, 3, 9)
    ids = [w.sign(Sign(target, when, net, ip, ATTACKER_MAC, "officehome", methods=("Password",)))]
    later = when + minutes(w, 1, 3)
    ids.append(w.sign(Sign(target, later, net, ip, ATTACKER_MAC, "mysignins", methods=MFA)))
    changes += w.add_audits(user_registered(w.rng, later + minutes(w, 0.5, 1.5), target, ip))
    text = DESCRIPTIONS["vishing_chain_self_service"]
    name, rules = "vishing_chain_self_service", ["vishing-chain"]
    label(w, "attack", name, target, at, changes, "high", text, ids, [call], rules)


def customer_call_then_own_reset(w: World) -> None:
    user = pick_user(w)
    at = w.local(change_day(w), w.rng.uniform(10.0, 12.0), user.site.office_v4.place.utc_offset)
    customer = f"+1312555{w.rng.randrange(200, 1000):04d}"
    call = w.add_call(pstn_call(w.rng, at - minutes(w, 20, 90), user, customer, 300))
    mobile = user.site.mobile_v4
    changes = w.add_audits(self_service_reset(w.rng, at, user, mobile.address(w.rng)))
    net, ip = home_network(user)
    sid = w.sign(Sign(user, at + minutes(w, 5, 30), net, ip, user.laptop, "office", methods=MFA))
    text = DESCRIPTIONS["customer_call_then_own_reset"]
    name = "customer_call_then_own_reset"
    label(w, "lookalike", name, user, at, changes, "not_high", text, [sid], [call])


DECLINED = "MFA denied; user declined the authentication"
NO_ANSWER = "MFA denied; user did not respond to mobile app notification"


def mfa_fatigue_push_spam(w: World) -> None:
    target = pick_user(w)
    at = w.local(change_day(w), w.rng.uniform(19.0, 22.0), target.site.office_v4.place.utc_offset)
    net = w.tenant.plan.attacker_vpn
    ip, when, ids = net.address(w.rng), at, []
    for _ in range(w.rng.randint(7, 11)):
        detail = DECLINED if w.rng.random() < 0.6 else NO_ANSWER
        ids.append(w.sign(Sign(target, when, net, ip, ATTACKER_MAC, error=500121, detail=detail)))
        when += minutes(w, 0.7, 2.0)
    ids.append(w.sign(Sign(target, when, net, ip, ATTACKER_MAC, "officehome", methods=MFA)))
    text, name = DESCRIPTIONS["mfa_fatigue_push_spam"], "mfa_fatigue_push_spam"
    label(w, "attack", name, target, at, [], "high", text, ids, [], ["mfa-fatigue"])


def mfa_timeout_then_approve(w: World) -> None:
    user = pick_user(w)
    at = w.local(change_day(w), w.rng.uniform(8.0, 9.0), user.site.office_v4.place.utc_offset)
    net, ip = home_network(user)
    ids = [w.sign(Sign(user, at, net, ip, user.laptop, error=500121, detail=NO_ANSWER))]
    ids.append(w.sign(Sign(user, at + minutes(w, 1, 3), net, ip, user.laptop, methods=MFA)))
    text, name = DESCRIPTIONS["mfa_timeout_then_approve"], "mfa_timeout_then_approve"
    label(w, "lookalike", name, user, at, [], "not_high", text, ids)


def _unclaimed(w: World) -> list[User]:
    return [u for u in w.tenant.users if u.upn not in w.busy and not u.helpdesk]


def call_campaign_then_helpdesk(w: World) -> None:
    callees = w.rng.sample(_unclaimed(w), 5)
    target, agent = callees[1], w.rng.choice(w.tenant.agents)
    w.busy.update(u.upn for u in callees)
    at = w.local(change_day(w), w.rng.uniform(10.0, 14.0), target.site.office_v4.place.utc_offset)
    number, when, calls = attacker_number(w), at - minutes(w, 90, 100), []
    for callee in callees:  # one at a time: the crew works down a list
        calls.append(w.add_call(pstn_call(w.rng, when, callee, number, w.rng.randrange(40, 200))))
        when += minutes(w, 6, 12)
    calls.append(w.add_call(pstn_call(w.rng, at - minutes(w, 5, 10), agent, number, 400)))
    changes = helpdesk_change(w, target, agent, at, ["password_reset"], number, "employee_id")
    text, name = DESCRIPTIONS["call_campaign_then_helpdesk"], "call_campaign_then_helpdesk"
    label(w, "attack", name, target, at, changes, "high", text, [], calls, ["call-campaign"])


def conference_bridge(w: World) -> None:
    others = _unclaimed(w)
    callees = w.rng.sample(others, min(12, len(others)))
    w.busy.update(u.upn for u in callees)
    bridge, day, calls = "+18005550142", change_day(w), []
    for offset in (0, 1):
        start = w.local(max(0, day - offset), 9.0, callees[0].site.office_v4.place.utc_offset)
        for callee in callees:
            at = start + w.rng.randrange(0, 40_000)
            calls.append(w.add_call(pstn_call(w.rng, at, callee, bridge, 2700)))
    user = callees[0]
    at = w.local(day, 15.0, user.site.office_v4.place.utc_offset)
    changes = w.add_audits(self_service_reset(w.rng, at, user, user.site.mobile_v4.address(w.rng)))
    net, ip = home_network(user)
    sid = w.sign(Sign(user, at + minutes(w, 5, 30), net, ip, user.laptop, "office", methods=MFA))
    text = DESCRIPTIONS["conference_bridge"]
    label(w, "lookalike", "conference_bridge", user, at, changes, "not_high", text, [sid], calls)


def helpdesk_after_hours_other_caller(w: World) -> None:
    target, agent = pick_user(w), w.rng.choice(w.tenant.agents)
    day, offset = max(1, change_day(w)), target.site.office_v4.place.utc_offset
    first = w.local(day - 1, w.rng.uniform(10.0, 15.0), offset)
    changes = helpdesk_change(w, target, agent, first, ["mfa_reset"], target.mobile, "callback")
    at = w.local(day, w.rng.uniform(21.5, 23.0), offset)
    number = attacker_number(w)
    call = w.add_call(pstn_call(w.rng, at - minutes(w, 5, 10), agent, number, 400))
    changes += helpdesk_change(w, target, agent, at, ["password_reset"], number, "none")
    name = "helpdesk_after_hours_other_caller"
    text, rules = DESCRIPTIONS[name], {"helpdesk-anomaly": "high"}
    label(w, "attack", name, target, at, changes, "high", text, [], [call], rules)


def _agent(w: World) -> User:
    """An agent no other pattern labelled: labels never share a user."""
    free = [a for a in w.tenant.agents if a.upn not in w.busy] or w.tenant.agents
    agent = w.rng.choice(free)
    w.busy.add(agent.upn)
    return agent


def agent_reset_burst(w: World) -> None:
    agent = _agent(w)
    # Colleagues at the agent's own site, in their working hours: only the burst is odd.
    site = [u for u in _unclaimed(w) if u.site.name == agent.site.name]
    targets = w.rng.sample(site if len(site) >= 10 else _unclaimed(w), 10)
    w.busy.update(u.upn for u in targets)
    at = w.local(change_day(w), 11.0, agent.site.office_v4.place.utc_offset)
    per_target = []
    for i, target in enumerate(targets):
        when = at + i * minutes(w, 3, 5)
        records = admin_password_reset(w.rng, when, agent, target, _ip(w, agent))
        per_target.append(w.add_audits(records))
    changes = [c for ids in per_target for c in ids]
    text, rules = DESCRIPTIONS["agent_reset_burst"], {"helpdesk-anomaly": "high"}
    label(w, "attack", "agent_reset_burst", agent, at, changes, "high", text, [], [], rules)
    # Each reset may also show on its own (at night where the target lives, say).
    for target, ids in zip(targets, per_target, strict=True):
        label(w, "attack", "agent_reset_burst_target", target, at, ids, "at_most_medium", text)


def helpdesk_busy_monday(w: World) -> None:
    monday = next((d for d in range(w.days) if (w.start // DAY_MS + d + 3) % 7 == 0), None)
    if monday is None:
        return  # a window shorter than a week may hold no Monday
    agent = _agent(w)
    site = [u for u in _unclaimed(w) if u.site.name == agent.site.name]
    targets = w.rng.sample(site, min(12, len(site)))
    w.busy.update(u.upn for u in targets)
    offset, changes = agent.site.office_v4.place.utc_offset, []
    for i, target in enumerate(targets):
        when = w.local(monday, 8.5 + i * 8.0 / max(1, len(targets)), offset)
        changes += w.add_audits(admin_password_reset(w.rng, when, agent, target, _ip(w, agent)))
    text = DESCRIPTIONS["helpdesk_busy_monday"]
    label(w, "lookalike", "helpdesk_busy_monday", agent, monday, changes, "not_high", text)


def lost_phone_own_vpn(w: World) -> None:
    user, agent = pick_user(w), w.rng.choice(w.tenant.agents)
    day, offset = change_day(w), user.site.office_v4.place.utc_offset
    vpn = w.tenant.plan.attacker_vpn  # a commercial VPN: the user's own, this time
    ip = vpn.address(w.rng)
    for earlier in range(max(0, day - 6), day):  # the VPN on the laptop, evening after evening
        at = w.local(earlier, w.rng.uniform(19.0, 22.0), offset)
        w.sign(Sign(user, at, vpn, ip, user.laptop, "outlook", methods=MFA))
    at = agent_time(w, user, day)
    changes = helpdesk_change(w, user, agent, at, ["mfa_reset"], user.mobile, "callback")
    # Straight out of the box: registered to nobody, not yet enrolled in device management.
    new_phone = dataclasses.replace(phone(w.rng), id="", trust="", compliant=False, managed=False)
    when = at + minutes(w, 10, 30)
    sid = w.sign(Sign(user, when, vpn, ip, new_phone, "mysignins", methods=("Password",)))
    changes += w.add_audits(user_registered(w.rng, when + minutes(w, 1, 3), user, ip))
    text = DESCRIPTIONS["lost_phone_own_vpn"]
    label(w, "lookalike", "lost_phone_own_vpn", user, at, changes, "not_high", text, [sid])


def _ip(w: World, user: User) -> str:
    return user.site.office_v4.address(w.rng)


PATTERNS = (
    call_campaign_then_helpdesk,
    conference_bridge,
    vishing_chain_self_service,
    customer_call_then_own_reset,
    mfa_fatigue_push_spam,
    mfa_timeout_then_approve,
    helpdesk_after_hours_other_caller,
    agent_reset_burst,
    helpdesk_busy_monday,
    lost_phone_own_vpn,
    consent_phishing_call,
    wellknown_app_consent,
)


# Unclaimed users each pattern needs; a tenant too small for one simply goes without it.
NEEDS = {call_campaign_then_helpdesk: 5, conference_bridge: 4, agent_reset_burst: 10}


def _free(w: World) -> int:
    return len(_unclaimed(w))


def run_patterns(w: World) -> None:
    for pattern in PATTERNS:
        if _free(w) >= NEEDS.get(pattern, 1):
            pattern(w)
