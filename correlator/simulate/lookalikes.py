"""Things that look like a helpdesk takeover at first sight and are not.

Each one shares some evidence with an attack (a reset by someone else, a new network, a VPN, a
new device, a new country, a call before the reset) but not the combination that makes one.
Travellers and new hires must be set up before the background is generated, so their
``prepare_*`` step returns the part that runs afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from correlator.simulate.activity import home_network
from correlator.simulate.attacks import attacker_number
from correlator.simulate.calls import pstn_call
from correlator.simulate.catalog import UNREGISTERED
from correlator.simulate.formats import Sign
from correlator.simulate.records import add_user, user_registered
from correlator.simulate.records import self_service_reset as sspr_records
from correlator.simulate.scenarios import (
    agent_time,
    change_day,
    helpdesk_change,
    label,
    minutes,
    pick_user,
)
from correlator.simulate.tenant import Travel, User, laptop
from correlator.simulate.world import World

MFA = ("Password", "Mobile app notification")
HELLO = ("Windows Hello for Business",)
Finish = Callable[[], None]
DESCRIPTIONS = {
    "forgot_password": "Helpdesk password reset after a call from the user's own mobile "
    "(callback verified); next sign-in from the known laptop on a known network.",
    "self_service_reset_new_network": "Self-service password reset by the user, then a sign-in "
    "from the known laptop on a public hotspot (new ASN) in the home city.",
    "routine_self_service_reset": "Self-service password reset by the user, then a sign-in "
    "from the known laptop at home.",
    "corporate_vpn_after_reset": "Helpdesk reset, then the known laptop signs in through the "
    "corporate VPN egress (a hosting ASN flagged as VPN, declared as corporate).",
    "new_managed_laptop_after_reset": "Laptop replaced: helpdesk reset, then a new "
    "Intune-managed compliant laptop signs in from the office egress and sets up Windows Hello.",
    "failed_takeover_attempt": "Vishing reset from an external number, but the attacker never "
    "got in: only failed sign-ins (bad password, then blocked by Conditional Access) from a "
    "Tor exit.",
    "business_traveller": "User on a business trip: new country and ASN on the known laptop, "
    "no credential change.",
    "new_hire_onboarding_tap": "New hire with no history: TAP issued at the desk (walk-in), "
    "first sign-in from a managed laptop in the office, authenticator registered.",
}
DESCRIPTIONS["routine_helpdesk_reset"] = DESCRIPTIONS["forgot_password"]


def _label(
    w: World,
    name: str,
    user: User,
    at: int,
    changes: list[str],
    signins: Iterable[str],
    calls: Iterable[str] = (),
    expected: str = "not_high",
) -> None:
    label(w, "lookalike", name, user, at, changes, expected, DESCRIPTIONS[name], signins, calls)


def forgot_password(w: World, user: User | None = None, scenario: str = "forgot_password") -> None:
    """The user calls the desk from their own mobile, then signs in from their own laptop."""
    user = user or pick_user(w)
    agent = w.rng.choice(w.tenant.agents)
    at = agent_time(w, user, change_day(w))
    call = w.add_call(pstn_call(w.rng, at - minutes(w, 2, 6), agent, user.mobile, 300))
    changes = helpdesk_change(w, user, agent, at, ["password_reset"], user.mobile, "callback")
    net, ip = home_network(user) if w.rng.random() < 0.5 else (user.site.office_v4, None)
    ip = ip or net.address(w.rng)
    when = at + minutes(w, 5, 20)
    sid = w.sign(Sign(user, when, net, ip, user.laptop, "officehome", methods=MFA))
    _label(w, scenario, user, at, changes, [sid], [call])


def self_service_reset(
    w: World, user: User | None = None, scenario: str = "", new_network: bool = True
) -> None:
    """SSPR from the phone, then the known laptop: from a café hotspot never used before, or
    (routine) from home."""
    user = user or pick_user(w)
    at = w.local(change_day(w), w.rng.uniform(7.0, 8.5), user.site.office_v4.place.utc_offset)
    mobile = user.site.mobile_v4
    changes = w.add_audits(sspr_records(w.rng, at, user, mobile.address(w.rng)))
    net, ip = (user.site.wifi, None) if new_network else home_network(user)
    ip = ip or net.address(w.rng)
    sid = w.sign(Sign(user, at + minutes(w, 10, 40), net, ip, user.laptop, "office", methods=MFA))
    _label(w, scenario or "self_service_reset_new_network", user, at, changes, [sid])


def corporate_vpn_after_reset(w: World) -> None:
    """Helpdesk reset, then the first ever sign-in through the corporate VPN (VPN-flagged)."""
    user = pick_user(w)
    user.vpn_user = False  # so the VPN egress is new to this user's baseline
    agent = w.rng.choice(w.tenant.agents)
    at = agent_time(w, user, change_day(w))
    changes = helpdesk_change(w, user, agent, at, ["password_reset"], user.mobile, "employee_id")
    pop = w.tenant.plan.corp_vpn[1 if user.site.office_v4.place.continent == "EU" else 0]
    when, ip = at + minutes(w, 5, 25), pop.address(w.rng)
    sid = w.sign(Sign(user, when, pop, ip, user.laptop, "teams", methods=HELLO))
    _label(w, "corporate_vpn_after_reset", user, at, changes, [sid])


def new_laptop_after_reset(w: World) -> None:
    """A replacement laptop: new but managed and compliant, in the office, after a reset."""
    user = pick_user(w)
    agent = w.rng.choice(w.tenant.agents)
    at = agent_time(w, user, change_day(w))
    call = w.add_call(pstn_call(w.rng, at - minutes(w, 3, 8), agent, user.mobile, 420))
    method = "manager_approval"
    changes = helpdesk_change(w, user, agent, at, ["password_reset"], user.mobile, method)
    device, office = laptop(w.rng, user.site.name), user.site.office_v4
    ip, when = office.address(w.rng), at + minutes(w, 15, 45)
    sid = w.sign(Sign(user, when, office, ip, device, "officehome", methods=MFA))
    later = when + minutes(w, 2, 5)
    changes += w.add_audits(user_registered(w.rng, later, user, ip, "Windows Hello for Business"))
    _label(w, "new_managed_laptop_after_reset", user, at, changes, [sid], [call])


def failed_attack(w: World) -> None:
    """A vishing reset the attacker could not use: only failures from Tor follow."""
    user = pick_user(w)
    agent = w.rng.choice(w.tenant.agents)
    at = agent_time(w, user, change_day(w))
    number = attacker_number(w)
    call = w.add_call(pstn_call(w.rng, at - minutes(w, 5, 12), agent, number, 540))
    method = "security_questions"
    changes = helpdesk_change(w, user, agent, at, ["password_reset"], number, method)
    tor = w.tenant.plan.tor
    ip, when, ids = tor.address(w.rng), at + minutes(w, 3, 8), []
    for error in (50126, 50126, 50126, 53003):
        sign = Sign(user, when, tor, ip, UNREGISTERED, error=error, methods=("Password",))
        ids.append(w.sign(sign))
        when += minutes(w, 1, 4)
    _label(w, "failed_takeover_attempt", user, at, changes, ids, [call], "at_most_medium")


def prepare_traveller(w: World) -> Finish:
    """A business trip: new country and ASN, known devices, no credential change at all."""
    user = pick_user(w)  # a trip late in the period, so the user has a baseline at home first
    home = user.site.office_v4.place.country
    hotel = w.rng.choice([h for h in w.tenant.plan.hotels if h.place.country != home])
    first = change_day(w)
    user.travel = Travel(first, min(w.days - 1, first + 3), hotel)
    return partial(_arrive, w, user, user.travel)


def _arrive(w: World, user: User, travel: Travel) -> None:
    hotel = travel.hotel
    at = w.local(travel.first_day, 7.2, hotel.place.utc_offset)  # before the day's background
    sid = w.sign(Sign(user, at, hotel, hotel.address(w.rng), user.laptop, "outlook"))
    _label(w, "business_traveller", user, at, [], [sid])


def prepare_new_hire(w: World) -> Finish:
    """Onboarding: account created, TAP handed over at the desk, first sign-in in the office."""
    user = pick_user(w)
    user.first_day = change_day(w)
    return partial(_onboard, w, user)


def _onboard(w: World, user: User) -> None:
    agent = w.rng.choice(w.tenant.agents)
    offset, office = user.site.office_v4.place.utc_offset, user.site.office_v4
    admins = [u for u in w.tenant.users if u.privileged] or [agent]
    made = w.local(user.first_day - 1, 15.0, offset)
    w.add_audits(add_user(w.rng, made, w.rng.choice(admins), user, office.address(w.rng)))
    at = w.local(user.first_day, 6.7, offset) + minutes(w, 0, 5)  # before the day's background
    tap = ["temporary_access_pass"]
    changes = helpdesk_change(w, user, agent, at, tap, user.did, "manager_approval", "walk_in")
    ip, when = office.address(w.rng), at + minutes(w, 6, 12)
    methods = ("Temporary Access Pass",)
    sid = w.sign(Sign(user, when, office, ip, user.laptop, "officehome", methods=methods))
    changes += w.add_audits(user_registered(w.rng, when + minutes(w, 2, 6), user, ip))
    _label(w, "new_hire_onboarding_tap", user, at, changes, [sid])
