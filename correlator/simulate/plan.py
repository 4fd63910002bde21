"""Which networks exist in the simulated world, and who uses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from correlator.simulate.network import (
    AMSTERDAM,
    ASHBURN,
    BUCHAREST,
    DUBLIN,
    FRANKFURT,
    HOME_PLACES,
    HOUSTON,
    OFFICE_PLACES,
    TRAVEL_PLACES,
    Net,
)

CORPORATE_ASN = 64500
CORPORATE_ORG = "NORTHWIND-TRADERS-AS"
CORP_VPN_ASN = 64501  # a hosting provider that runs the corporate VPN: hosting-like, VPN-flagged


class _SiteSpec(NamedTuple):
    office_v4: str
    office_v6: str
    isp16: str  # first two octets of the home ISP's /16; each home city gets a /20
    isp_asn: int
    isp_org: str
    isp_v6: str | None  # prefix of the home ISP's IPv6 /48s, one per home city
    mobile_v4: str  # a small carrier NAT pool: many subscribers share few addresses
    mobile_asn: int
    mobile_org: str
    mobile_v6: str | None
    wifi: str  # public hotspots in the office city: a "new network" nobody used before
    wifi_asn: int
    wifi_org: str


_OFFICE_NETS: dict[str, _SiteSpec] = {
    "Chicago": _SiteSpec(
        "203.0.113.0/28", "2001:db8:4e01::/48", "24.60", 64496, "LAKESHORE-BROADBAND",
        "2001:db8:10", "174.240.0.0/22", 64497, "PRAIRIE-WIRELESS", "2001:db8:1100::/48",
        "73.10.0.0/24", 65540, "WINDYCITY-HOTSPOTS",
    ),
    "London": _SiteSpec(
        "203.0.113.16/28", "2001:db8:4e02::/48", "86.140", 64498, "THAMESLINK-FIBRE",
        "2001:db8:20", "92.40.0.0/22", 64499, "ALBION-MOBILE", None,
        "5.64.10.0/24", 65541, "CAFE-CONNECT-UK",
    ),
    "Munich": _SiteSpec(
        "203.0.113.32/28", "2001:db8:4e03::/48", "91.40", 64502, "ISARNET",
        "2001:db8:30", "80.187.0.0/22", 64503, "ALPENFUNK-MOBIL", "2001:db8:3100::/48",
        "37.4.10.0/24", 65542, "BIERGARTEN-WLAN",
    ),
    "Sydney": _SiteSpec(
        "203.0.113.48/28", "2001:db8:4e04::/48", "110.140", 64504, "HARBOURLINK",
        None, "1.144.0.0/22", 64506, "SOUTHERNCROSS-MOBILE", None,
        "27.32.10.0/24", 65543, "BONDI-PUBLIC-WIFI",
    ),
}  # fmt: skip
_HOTELS: tuple[tuple[str, int, str], ...] = (
    ("37.160.10.0/24", 64507, "LUTECE-TELECOM"),
    ("126.50.10.0/24", 64508, "SAKURA-NET"),
    ("68.200.10.0/24", 64509, "HUDSON-CABLE"),
    ("88.20.10.0/24", 65536, "MESETA-FIBRA"),
    ("116.88.10.0/24", 65537, "MERLION-BROADBAND"),
    ("99.230.10.0/24", 65538, "ONTARIO-LINK"),
)


@dataclass(frozen=True)
class Site:
    """An office and the networks its people use at work, at home and on the move."""

    name: str
    office_v4: Net
    office_v6: Net
    home_v4: tuple[Net, ...]  # one per home city
    home_v6: tuple[Net | None, ...]
    mobile_v4: Net
    mobile_v6: Net | None
    wifi: Net


@dataclass(frozen=True)
class AddressPlan:
    sites: dict[str, Site]
    corp_vpn: tuple[Net, ...]
    microsoft: Net
    hotels: tuple[Net, ...]
    attacker_vpn: Net
    attacker_hosting: Net
    attacker_hosting_v6: Net
    residential_proxy: Net
    tor: Net

    def networks(self) -> tuple[Net, ...]:
        nets: list[Net] = []
        for site in self.sites.values():
            nets += [site.office_v4, site.office_v6, *site.home_v4, site.mobile_v4, site.wifi]
            nets += [n for n in (*site.home_v6, site.mobile_v6) if n is not None]
        nets += [*self.corp_vpn, self.microsoft, *self.hotels]
        nets += [self.attacker_vpn, self.attacker_hosting, self.attacker_hosting_v6]
        nets += [self.residential_proxy, self.tor]
        return tuple(nets)

    def corporate(self) -> dict[str, list[str] | list[int]]:
        """The corporate egress a tenant would declare: office ranges and the corporate VPN."""
        cidrs = [n.cidr for s in self.sites.values() for n in (s.office_v4, s.office_v6)]
        cidrs += [n.cidr for n in self.corp_vpn]
        return {"cidrs": cidrs, "asns": [CORPORATE_ASN]}


def _site(name: str) -> Site:
    spec = _OFFICE_NETS[name]
    place = OFFICE_PLACES[name]
    homes = HOME_PLACES[name]
    isp = (spec.isp_asn, spec.isp_org, 20, "isp")
    mobile = (spec.mobile_asn, spec.mobile_org, 100, "mobile")
    home_v6 = tuple(
        Net(f"{spec.isp_v6}{i + 1:02x}::/48", p, *isp) if spec.isp_v6 else None
        for i, p in enumerate(homes)
    )
    return Site(
        name=name,
        office_v4=Net(spec.office_v4, place, CORPORATE_ASN, CORPORATE_ORG, 10, "office"),
        office_v6=Net(spec.office_v6, place, CORPORATE_ASN, CORPORATE_ORG, 10, "office"),
        home_v4=tuple(Net(f"{spec.isp16}.{16 * i}.0/20", p, *isp) for i, p in enumerate(homes)),
        home_v6=home_v6,
        mobile_v4=Net(spec.mobile_v4, place, *mobile),
        mobile_v6=Net(spec.mobile_v6, place, *mobile) if spec.mobile_v6 else None,
        wifi=Net(spec.wifi, place, spec.wifi_asn, spec.wifi_org, 20, "wifi"),
    )


def build_plan() -> AddressPlan:
    hosting = {"hosting": True}
    return AddressPlan(
        sites={name: _site(name) for name in _OFFICE_NETS},
        corp_vpn=(
            Net("192.0.2.0/26", OFFICE_PLACES["Chicago"], CORP_VPN_ASN, "ZEPHYR-SECURE-EDGE",
                50, "corp_vpn", vpn=True, hosting=True),
            Net("192.0.2.64/26", FRANKFURT, CORP_VPN_ASN, "ZEPHYR-SECURE-EDGE",
                50, "corp_vpn", vpn=True, hosting=True),
        ),
        microsoft=Net("198.51.100.0/25", DUBLIN, 8075, "MICROSOFT-CORP-MSN-AS-BLOCK",
                      100, "microsoft"),
        hotels=tuple(
            Net(cidr, place, asn, org, 10, "hotel")
            for (cidr, asn, org), place in zip(_HOTELS, TRAVEL_PLACES, strict=True)
        ),
        attacker_vpn=Net("198.51.100.128/26", AMSTERDAM, 64510, "SWIFTTUNNEL-VPN", 100, "vpn",
                         vpn=True, **hosting),
        attacker_hosting=Net("198.51.100.192/26", ASHBURN, 64511, "CIRRUSHOST-CLOUD", 50,
                             "hosting", **hosting),
        attacker_hosting_v6=Net("2001:db8:c100::/48", ASHBURN, 64511, "CIRRUSHOST-CLOUD", 50,
                                "hosting", **hosting),
        residential_proxy=Net("192.0.2.128/26", HOUSTON, 65539, "GULFCOAST-CABLE", 20, "proxy",
                              residential_proxy=True),
        tor=Net("192.0.2.192/27", BUCHAREST, 65544, "DACIA-HOSTING", 200, "tor", tor=True,
                **hosting),
    )  # fmt: skip
