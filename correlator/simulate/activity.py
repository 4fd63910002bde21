"""Everyday background: workday sign-ins, token refreshes, typos, travel and ordinary calls.

Volumes are per user and day, so output grows linearly with users × days. Each user's day draws
only from that user's own places and devices; that is what gives the detection a baseline.
"""

from __future__ import annotations

from correlator.simulate.calls import pstn_call
from correlator.simulate.formats import Sign
from correlator.simulate.network import Net
from correlator.simulate.tenant import Device, User
from correlator.simulate.world import HOUR_MS, MINUTE_MS, World

LAPTOP_APPS = ("officehome", "teams", "office", "outlook", "portal")
PHONE_APPS = ("outlook", "teams", "officehome")
REFRESH_APPS = ("teams", "office", "onedrive", "outlook")
CUSTOMER_AREAS = (212, 415, 646, 617, 305, 206)


def background(w: World, ratio: float) -> None:
    for user in w.tenant.users:
        for day in range(user.first_day, w.days):
            user_day(w, user, day, ratio)
            if w.is_workday(day):
                _ordinary_calls(w, user, day)


def abroad(user: User, day: int) -> bool:
    t = user.travel
    return t is not None and t.first_day <= day <= t.last_day


def laptop_network(w: World, user: User, day: int) -> tuple[Net, str]:
    """Where the laptop is online today, and from which address."""
    rng, site = w.rng, user.site
    if abroad(user, day):
        assert user.travel is not None
        return user.travel.hotel, user.travel.hotel.address(rng)
    if w.is_workday(day) and rng.random() >= user.wfh:
        net = site.office_v6 if rng.random() < 0.2 else site.office_v4
        return net, net.address(rng)
    if user.vpn_user and rng.random() < 0.7:
        pop = w.tenant.plan.corp_vpn[0 if site.office_v4.place.country in ("US", "AU") else 1]
        return pop, pop.address(rng)
    return home_network(user)


def home_network(user: User) -> tuple[Net, str]:
    if user.home_ip6 is not None:
        v6 = user.site.home_v6[user.site.home_v4.index(user.home)]
        assert v6 is not None
        return v6, user.home_ip6
    return user.home, user.home_ip


def phone_network(w: World, user: User, day: int, hour: float) -> tuple[Net, str]:
    if abroad(user, day):
        return laptop_network(w, user, day)
    if (hour < 8 or hour > 19) and w.rng.random() < 0.6:
        return home_network(user)  # on the home Wi-Fi in the evening
    site = user.site
    net = site.mobile_v6 if site.mobile_v6 is not None and w.rng.random() < 0.4 else site.mobile_v4
    return net, net.address(w.rng)


def laptop_methods(device: Device) -> tuple[str, ...]:
    if device.os.startswith("Windows") and device.managed:
        return ("Windows Hello for Business",)
    return ("Password", "Mobile app notification")


def session(
    w: World, user: User, at: int, net: Net, ip: str, device: Device, ratio: float, app: str
) -> str:
    """An interactive sign-in, sometimes after a typo, then its token refreshes."""
    rng = w.rng
    methods = laptop_methods(device) if device.kind == "laptop" else ("Previously satisfied",)
    if rng.random() < 0.03:
        typo = Sign(
            user,
            at - rng.randrange(10_000, 60_000),
            net,
            ip,
            device,
            app,
            error=50126,
            methods=("Password",),
        )
        w.sign(typo)
        methods = ("Password", "Mobile app notification")
    sid = w.sign(Sign(user, at, net, ip, device, app, methods=methods))
    refreshes(w, user, at, net, ip, device, ratio)
    return sid


def refreshes(
    w: World, user: User, at: int, net: Net, ip: str, device: Device, ratio: float
) -> None:
    """Non-interactive sign-ins: token refreshes from the client, some via Microsoft services."""
    rng = w.rng
    count = int(ratio * rng.uniform(0.5, 1.5) + rng.random())
    ms = w.tenant.plan.microsoft
    for _ in range(count):
        when = at + rng.randrange(MINUTE_MS, 8 * HOUR_MS)
        if rng.random() < 0.15:
            sign = Sign(
                user,
                when,
                ms,
                ms.address(rng),
                device,
                "exchange",
                interactive=False,
                methods=("Previously satisfied",),
            )
        else:
            sign = Sign(
                user,
                when,
                net,
                ip,
                device,
                rng.choice(REFRESH_APPS),
                interactive=False,
                methods=("Previously satisfied",),
            )
        w.sign(sign)


def user_day(w: World, user: User, day: int, ratio: float) -> None:
    rng = w.rng
    offset = user.site.office_v4.place.utc_offset
    if abroad(user, day):
        assert user.travel is not None
        offset = user.travel.hotel.place.utc_offset
    workday = w.is_workday(day) or abroad(user, day)
    laptop = user.laptop
    if workday or rng.random() < 0.1:
        net, ip = laptop_network(w, user, day)
        at = w.local(day, rng.uniform(7.5, 9.5), offset)
        session(w, user, at, net, ip, laptop, ratio, rng.choice(LAPTOP_APPS))
        if workday and rng.random() < 0.5:
            at = w.local(day, rng.uniform(12.0, 16.5), offset)
            session(w, user, at, net, ip, laptop, ratio, rng.choice(LAPTOP_APPS))
    if rng.random() < (0.45 if workday else 0.3):
        hour = rng.uniform(6.5, 22.0)
        net, ip = phone_network(w, user, day, hour)
        device = rng.choice(user.devices[1:])
        at = w.local(day, hour, offset)
        session(w, user, at, net, ip, device, ratio, rng.choice(PHONE_APPS))


def customer_number(w: World, country: str) -> str:
    rng = w.rng
    if country == "GB":
        return f"+44113496{rng.randrange(0, 1000):04d}"  # Ofcom drama range, Leeds
    if country == "DE":
        return f"+49302312{rng.randrange(0, 10000):04d}"
    if country == "AU":
        return f"+613701{rng.randrange(50000, 50999):05d}"
    return f"+1{rng.choice(CUSTOMER_AREAS)}5550{rng.randrange(100, 200):03d}"


def _ordinary_calls(w: World, user: User, day: int) -> None:
    """Customers and suppliers call people; employees call the service desk from their mobile."""
    rng = w.rng
    offset = user.site.office_v4.place.utc_offset
    country = user.site.office_v4.place.country
    if rng.random() < 0.15:
        at = w.local(day, rng.uniform(9, 17), offset)
        w.add_call(pstn_call(rng, at, user, customer_number(w, country), rng.randrange(30, 900)))
    agents = w.tenant.agents
    if agents and not user.helpdesk and rng.random() < 0.02:
        at = w.local(day, rng.uniform(8, 18), offset)
        w.add_call(pstn_call(rng, at, rng.choice(agents), user.mobile, rng.randrange(60, 600)))
