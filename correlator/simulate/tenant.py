"""The simulated organisation: people, where they live and work, their devices and phones."""

from __future__ import annotations

import random
from dataclasses import dataclass

from correlator.simulate.network import Net
from correlator.simulate.plan import AddressPlan, Site, build_plan

DOMAIN = "northwind.example"
SITE_WEIGHTS = (("Chicago", 5), ("London", 3), ("Munich", 2), ("Sydney", 1))
SITE_CODES = {"Chicago": "CHI", "London": "LON", "Munich": "MUC", "Sydney": "SYD"}
FIRST = (
    "Adele", "Alex", "Amara", "Ana", "Ben", "Carla", "Chen", "Dana", "Diego", "Elif", "Emma",
    "Farah", "Felix", "Grace", "Hana", "Ivan", "Jamal", "Jonas", "Kai", "Kenji", "Laura", "Lena",
    "Lucas", "Maya", "Mei", "Mohammed", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael",
    "Sara", "Sofia", "Tariq", "Tom", "Uma", "Victor", "Yara", "Zoe",
)  # fmt: skip
LAST = (
    "Abbott", "Becker", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Hoffmann", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Novak", "Okafor", "Patel", "Quinn",
    "Rossi", "Schmidt", "Silva", "Tanaka", "Turner", "Weber", "Wong", "Yilmaz", "Zimmermann",
    "Brennan", "Costa", "Duarte", "Hughes", "Kaur", "Lindqvist", "Murphy", "Nguyen", "Oliveira",
    "Peters", "Russo",
)  # fmt: skip
DEPARTMENTS = ("Sales", "Finance", "Engineering", "Marketing", "Operations", "Legal", "HR")
# Fictional numbering: NANP 555-0100..0199 (in many area codes), Ofcom's drama ranges, ACMA's
# fictional block, and an invented German block.
_DID = {"US": "+1{area}55501{n:02d}", "GB": "+442079460{n:03d}", "DE": "+49899999{n:04d}",
        "AU": "+6125550{n:04d}"}  # fmt: skip
_MOBILE = {"US": "+1{area}55501{n:02d}", "GB": "+447700900{n:03d}", "DE": "+491529999{n:04d}",
           "AU": "+61491570{n:03d}"}  # fmt: skip
_DID_AREAS = (312, 773, 630, 847, 708, 815, 217, 309, 618, 872)
_MOBILE_AREAS = (224, 331, 464, 779, 447, 730, 262, 414, 219, 574)


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    name: str
    os: str
    browser: str
    trust: str
    compliant: bool
    managed: bool
    kind: str  # laptop or phone
    user_agent: str


@dataclass(frozen=True, slots=True)
class Travel:
    first_day: int
    last_day: int
    hotel: Net


@dataclass(slots=True)
class User:
    id: str
    upn: str
    name: str
    department: str
    site: Site
    home: Net
    home_ip: str
    home_ip6: str | None  # the home ISP hands out IPv6 and the laptop prefers it
    devices: tuple[Device, ...]
    did: str  # office direct line
    mobile: str  # personal mobile, E.164
    privileged: bool = False
    helpdesk: bool = False
    vpn_user: bool = False  # works from home through the corporate VPN
    wfh: float = 0.4  # share of workdays at home
    travel: Travel | None = None
    first_day: int = 0  # a new hire has no sign-ins before this day

    @property
    def laptop(self) -> Device:
        return self.devices[0]


@dataclass
class Tenant:
    id: str
    domain: str
    plan: AddressPlan
    users: list[User]

    @property
    def agents(self) -> list[User]:
        return [u for u in self.users if u.helpdesk]


_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def guid(rng: random.Random) -> str:
    """A random (version 4) GUID from ``rng``; the same text ``uuid.UUID(version=4)`` gives."""
    h = f"{(rng.getrandbits(128) & _V4_CLEAR) | _V4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def phone_number(kind: str, country: str, n: int) -> str:
    """The n-th fictional direct line or mobile number of a country (repeats after 1000)."""
    pattern, areas = (_DID, _DID_AREAS) if kind == "did" else (_MOBILE, _MOBILE_AREAS)
    area = areas[(n // 100) % len(areas)]
    return pattern[country].format(area=area, n=n % (100 if country == "US" else 1000))


def laptop(rng: random.Random, site: str) -> Device:
    if rng.random() < 0.12:
        ver = rng.choice(("17.6", "18.0"))
        ua = (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            f"(KHTML, like Gecko) Version/{ver} Safari/605.1.15"
        )
        name = f"NW-{SITE_CODES[site]}-MBP{rng.randrange(1000, 9999)}"
        return Device(guid(rng), name, "MacOs", f"Safari {ver}", "Azure AD registered",
                      True, True, "laptop", ua)  # fmt: skip
    build = rng.choice(("129.0.2792.89", "130.0.2849.56", "130.0.2849.68"))
    ua = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{build.split('.')[0]}.0.0.0 Safari/537.36 Edg/{build}"
    )
    trust = rng.choice(("Azure AD joined", "Hybrid Azure AD joined"))
    name = f"NW-{SITE_CODES[site]}-LT{rng.randrange(10000, 99999)}"
    edge = "Edge " + ".".join(build.split(".")[:3])
    return Device(guid(rng), name, "Windows 10", edge, trust, True, True, "laptop", ua)


def phone(rng: random.Random) -> Device:
    if rng.random() < 0.55:
        ver = rng.choice(("17.6.1", "18.0.1", "18.1"))
        ua = (
            f"Mozilla/5.0 (iPhone; CPU iPhone OS {ver.replace('.', '_')} like Mac OS X) "
            "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
        )
        return Device(guid(rng), "iPhone", f"iOS {ver}", "Mobile Safari 18.0",
                      "Azure AD registered", True, True, "phone", ua)  # fmt: skip
    model = rng.choice(("SM-S921B", "Pixel 8", "SM-A546B"))
    ua = (
        f"Mozilla/5.0 (Linux; Android 14; {model}) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.6723.58 Mobile Safari/537.36"
    )
    return Device(guid(rng), model, "Android 14", "Chrome Mobile 130.0.6723",
                  "Azure AD registered", True, True, "phone", ua)  # fmt: skip


def _unique_upn(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    base = f"{first}.{last}".lower()
    upn, n = f"{base}@{DOMAIN}", 2
    while upn in taken:
        upn, n = f"{base}{n}@{DOMAIN}", n + 1
    taken.add(upn)
    return upn, f"{first} {last}"


def make_user(rng: random.Random, plan: AddressPlan, index: int, taken: set[str]) -> User:
    site_name = rng.choices([s for s, _ in SITE_WEIGHTS], [w for _, w in SITE_WEIGHTS])[0]
    site = plan.sites[site_name]
    city = rng.randrange(len(site.home_v4))
    home, home6 = site.home_v4[city], site.home_v6[city]
    upn, name = _unique_upn(rng, taken)
    country = site.office_v4.place.country
    devices = [laptop(rng, site_name), phone(rng)]
    if rng.random() < 0.15:  # some people also use a tablet or a second phone
        devices.append(phone(rng))
    return User(
        id=guid(rng),
        upn=upn,
        name=name,
        department=rng.choice(DEPARTMENTS),
        site=site,
        home=home,
        home_ip=home.address(rng),
        home_ip6=home6.address(rng) if home6 is not None and rng.random() < 0.5 else None,
        devices=tuple(devices),
        did=phone_number("did", country, index),
        mobile=phone_number("mobile", country, index),
        vpn_user=rng.random() < 0.2,
        wfh=rng.choice((0.0, 0.2, 0.4, 0.6, 1.0)),
    )


def _plan_travel(rng: random.Random, tenant: Tenant, days: int) -> None:
    """About one in twelve people spends a few days abroad, with their own devices."""
    hotels = tenant.plan.hotels
    for user in tenant.users:
        if days < 4 or rng.random() >= 1 / 12:
            continue
        length = rng.randint(2, min(6, days - 2))
        first = rng.randrange(1, days - length)
        abroad = [h for h in hotels if h.place.country != user.site.office_v4.place.country]
        user.travel = Travel(first, first + length - 1, rng.choice(abroad))


def build_tenant(rng: random.Random, users: int, days: int) -> Tenant:
    plan = build_plan()
    taken: set[str] = set()
    people = [make_user(rng, plan, i, taken) for i in range(max(users, 12))]
    # A few helpdesk agents and IT administrators: the people attackers talk to and target.
    for user in people[: max(2, len(people) // 60)]:
        user.helpdesk, user.department = True, "IT Service Desk"
    for user in people[-max(2, len(people) // 40) :]:
        user.privileged, user.department = True, "IT Infrastructure"
    tenant = Tenant(id=guid(rng), domain=DOMAIN, plan=plan, users=people)
    _plan_travel(rng, tenant, days)
    return tenant
