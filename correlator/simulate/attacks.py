"""Helpdesk vishing takeovers, as Scattered Spider / LAPSUS$ run them.

The attacker phones the service desk (sometimes after calling around the company first),
passes the identity checks, gets a reset, MFA wipe or Temporary Access Pass, and signs in
minutes later from their own machine through a VPN, a cloud server or a residential proxy,
then registers their own authenticator.
"""

from __future__ import annotations

import string

from correlator.simulate.activity import refreshes
from correlator.simulate.calls import pstn_call
from correlator.simulate.catalog import UNREGISTERED
from correlator.simulate.formats import Sign
from correlator.simulate.network import Net
from correlator.simulate.records import user_registered
from correlator.simulate.scenarios import (
    agent_time,
    change_day,
    helpdesk_change,
    label,
    minutes,
    pick_user,
)
from correlator.simulate.tenant import Device, User, guid
from correlator.simulate.world import World

ATTACKER_MAC = Device(
    "",
    "",
    "MacOs",
    "Chrome 130.0.0",
    "",
    False,
    False,
    "laptop",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
)


DESCRIPTIONS = {
    "vishing_reset_mfa_wipe": "Caller rang several employees, then the service desk; password "
    "reset and MFA wipe; sign-in minutes later with no device id from a commercial VPN abroad, "
    "new authenticator registered.",
    "vishing_tap_privileged_admin": "Temporary Access Pass issued to an administrator after a "
    "verified call; used within minutes from a new unmanaged device on a hosting provider's "
    "IPv6 network.",
    "vishing_mfa_reset_only": "Target was called first, then the service desk reset MFA only; "
    "the attacker, who already had the password, signed in through a residential proxy far "
    "from where the user had signed in at the office half an hour earlier.",
}

# The target was called before the helpdesk reset: the vishing chain shows too.
DETECTIONS = {"vishing_mfa_reset_only": ("ato-after-credential-change", "vishing-chain")}


def _label(
    w: World,
    name: str,
    target: User,
    at: int,
    changes: list[str],
    signins: list[str],
    calls: list[str],
) -> None:
    rules = DETECTIONS.get(name, ("ato-after-credential-change",))
    text = DESCRIPTIONS[name]
    label(w, "attack", name, target, at, changes, "high", text, signins, calls, rules)


def _attacker_laptop(w: World) -> Device:
    """The attacker's own PC, joined to the tenant as a registered (unmanaged) device."""
    tag = "".join(w.rng.choices(string.ascii_uppercase + string.digits, k=7))
    return Device(
        guid(w.rng),
        f"DESKTOP-{tag}",
        "Windows 10",
        "Chrome 130.0.0",
        "Azure AD registered",
        False,
        False,
        "laptop",
        UNREGISTERED.user_agent,
    )


def attacker_number(w: World) -> str:
    """A spoofed or VoIP caller id: fictional NANP 555-01xx or UK drama-range landlines."""
    if w.rng.random() < 0.5:
        return f"+1{w.rng.choice((202, 347, 469, 702))}5550{w.rng.randrange(100, 200)}"
    return f"+441614960{w.rng.randrange(0, 1000):03d}"


def _recon_calls(w: World, target: User, number: str, before: int, count: int) -> list[str]:
    """Calls to other employees from the same number: the reconnaissance before the real call."""
    others = [u for u in w.tenant.users if u is not target and not u.helpdesk]
    ids = []
    for callee in w.rng.sample(others, min(count, len(others))):
        at = before - minutes(w, 20, 180)
        ids.append(w.add_call(pstn_call(w.rng, at, callee, number, w.rng.randrange(15, 120))))
    return ids


def _attacker_session(
    w: World,
    target: User,
    at: int,
    net: Net,
    device: Device,
    first: tuple[str, ...],
    changes: list[str],
    risk: str = "none",
) -> list[str]:
    """Sign in, register an authenticator, use mail; the attacker keeps one address.

    The registration is part of the incident: its audit id joins ``changes``."""
    ip = net.address(w.rng)
    # Identity Protection flags some of these in real time, most not: only when told to here.
    events = ("anonymizedIPAddress", "unfamiliarFeatures") if risk != "none" else ()
    sign = Sign(target, at, net, ip, device, "officehome", methods=first, risk=risk,
                risk_events=events)  # fmt: skip
    ids = [w.sign(sign)]
    reg = at + minutes(w, 1, 3)
    ids.append(w.sign(Sign(target, reg, net, ip, device, "mysignins", methods=first)))
    changes += w.add_audits(user_registered(w.rng, reg + minutes(w, 0.5, 1.5), target, ip))
    later = reg + minutes(w, 3, 10)
    strong = ("Password", "Mobile app notification")
    ids.append(w.sign(Sign(target, later, net, ip, device, "outlook", methods=strong)))
    refreshes(w, target, later, net, ip, device, 2.0)
    return ids


def reset_and_wipe(w: World) -> None:
    """Password reset and MFA wipe after calling around; in through a commercial VPN."""
    target, agent = pick_user(w), w.rng.choice(w.tenant.agents)
    at = agent_time(w, target, change_day(w))
    number = attacker_number(w)
    calls = _recon_calls(w, target, number, at, w.rng.randint(2, 4))
    calls.append(w.add_call(pstn_call(w.rng, at - minutes(w, 8, 15), agent, number, 600)))
    changes = helpdesk_change(
        w, target, agent, at, ["password_reset", "mfa_reset"], number, "security_questions"
    )
    signins = _attacker_session(
        w,
        target,
        at + minutes(w, 4, 12),
        w.tenant.plan.attacker_vpn,
        UNREGISTERED,
        ("Password",),
        changes,
        risk="medium",
    )
    _label(w, "vishing_reset_mfa_wipe", target, at, changes, signins, calls)


def tap_privileged(w: World) -> None:
    """A Temporary Access Pass for an administrator; in from a cloud server over IPv6."""
    target, agent = pick_user(w, privileged=True), w.rng.choice(w.tenant.agents)
    at = agent_time(w, target, change_day(w))
    number = attacker_number(w)
    calls = [w.add_call(pstn_call(w.rng, at - minutes(w, 6, 12), agent, number, 480))]
    changes = helpdesk_change(
        w, target, agent, at, ["temporary_access_pass"], number, "employee_id"
    )
    device = _attacker_laptop(w)
    signins = _attacker_session(
        w,
        target,
        at + minutes(w, 2, 6),
        w.tenant.plan.attacker_hosting_v6,
        device,
        ("Temporary Access Pass",),
        changes,
    )
    _label(w, "vishing_tap_privileged_admin", target, at, changes, signins, calls)


def mfa_reset_only(w: World) -> None:
    """Only MFA is reset (the password was phished); impossible travel from the office."""
    target, agent = pick_user(w), w.rng.choice(w.tenant.agents)
    at = agent_time(w, target, change_day(w))
    number = attacker_number(w)
    office, before = target.site.office_v4, at - minutes(w, 30, 50)
    hello = ("Windows Hello for Business",)
    w.sign(Sign(target, before, office, office.address(w.rng), target.laptop, methods=hello))
    calls = [
        w.add_call(pstn_call(w.rng, at - minutes(w, 60, 90), target, number, 240)),
        w.add_call(pstn_call(w.rng, at - minutes(w, 5, 10), agent, number, 420)),
    ]
    changes = helpdesk_change(w, target, agent, at, ["mfa_reset"], number, "security_questions")
    signins = _attacker_session(
        w,
        target,
        at + minutes(w, 5, 15),
        w.tenant.plan.residential_proxy,
        ATTACKER_MAC,
        ("Password",),
        changes,
    )
    _label(w, "vishing_mfa_reset_only", target, at, changes, signins, calls)


VARIANTS = (reset_and_wipe, tap_privileged, mfa_reset_only)


def run_attacks(w: World, count: int) -> None:
    for i in range(count):
        VARIANTS[i % len(VARIANTS)](w)
