"""The simulated tenant's address plan: places, networks and the geo data that describes them.

Every address the simulator emits comes from a ``Net`` declared here, so the GeoIP databases
written next to the logs cover all of them by construction. Documentation ranges (RFC 5737,
RFC 3849) and documentation ASNs (RFC 5398) are used where they are big enough; the larger
residential and mobile blocks are arbitrary public-looking ranges whose only meaning is the one
our own mmdb files give them.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Place:
    city: str
    country: str  # ISO 3166-1 alpha-2
    subdivision: str  # English name, as the sign-in log's location.state shows it
    subdivision_code: str  # ISO 3166-2 suffix
    latitude: float
    longitude: float
    time_zone: str
    continent: str  # two-letter continent code, as GeoIP2 uses
    utc_offset: int  # hours, fixed for the simulated period (October: before most DST ends)


@dataclass(frozen=True, slots=True)
class Net:
    cidr: str
    place: Place
    asn: int
    org: str
    accuracy_km: int
    kind: str  # office, corp_vpn, isp, mobile, wifi, hotel, microsoft, vpn, hosting, proxy, tor
    vpn: bool = False
    public_proxy: bool = False
    residential_proxy: bool = False
    tor: bool = False
    hosting: bool = False
    _base: int = field(init=False, repr=False, compare=False)
    _size: int = field(init=False, repr=False, compare=False)
    _v6: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        net = ipaddress.ip_network(self.cidr)
        object.__setattr__(self, "_base", int(net.network_address))
        object.__setattr__(self, "_size", net.num_addresses)
        object.__setattr__(self, "_v6", net.version == 6)

    @property
    def anonymous(self) -> bool:
        return self.vpn or self.public_proxy or self.residential_proxy or self.tor or self.hosting

    def address(self, rng: random.Random) -> str:
        """A host address inside the network (never the network or broadcast address)."""
        offset = rng.randrange(1, self._size - 1)
        if self._v6:
            return str(ipaddress.IPv6Address(self._base + offset))
        return str(ipaddress.IPv4Address(self._base + offset))


@dataclass(frozen=True)
class GeoData:
    """Every network the simulation uses, convertible to the mmdb builder's records."""

    networks: tuple[Net, ...]

    def city_records(self) -> list[Any]:
        from correlator.enrich.mmdb_build import CityRecord

        return [
            CityRecord(
                network=n.cidr,
                country=n.place.country,
                city=n.place.city,
                latitude=n.place.latitude,
                longitude=n.place.longitude,
                accuracy_km=n.accuracy_km,
                continent=n.place.continent,
                time_zone=n.place.time_zone,
                subdivision=n.place.subdivision,
                subdivision_code=n.place.subdivision_code,
            )
            for n in self.networks
        ]

    def asn_records(self) -> list[Any]:
        from correlator.enrich.mmdb_build import AsnRecord

        return [AsnRecord(network=n.cidr, asn=n.asn, org=n.org) for n in self.networks]

    def anonymous_records(self) -> list[Any]:
        from correlator.enrich.mmdb_build import AnonymousRecord

        return [
            AnonymousRecord(
                network=n.cidr,
                vpn=n.vpn,
                public_proxy=n.public_proxy,
                residential_proxy=n.residential_proxy,
                tor=n.tor,
                hosting=n.hosting,
            )
            for n in self.networks
            if n.anonymous  # the real Anonymous-IP database lists only flagged networks
        ]


def _place(spec: tuple[Any, ...]) -> Place:
    return Place(*spec)


# city, country, subdivision, its code, lat, lon, time zone, continent, UTC offset in October
OFFICE_PLACES: dict[str, Place] = {
    "Chicago": _place(
        ("Chicago", "US", "Illinois", "IL", 41.8781, -87.6298, "America/Chicago", "NA", -5)
    ),
    "London": _place(
        ("London", "GB", "England", "ENG", 51.5074, -0.1278, "Europe/London", "EU", 1)
    ),
    "Munich": _place(("Munich", "DE", "Bavaria", "BY", 48.1351, 11.5820, "Europe/Berlin", "EU", 2)),
    "Sydney": _place(
        ("Sydney", "AU", "New South Wales", "NSW", -33.8688, 151.2093, "Australia/Sydney", "OC", 10)
    ),
}
HOME_PLACES: dict[str, tuple[Place, ...]] = {
    "Chicago": tuple(
        _place((c, "US", "Illinois", "IL", la, lo, "America/Chicago", "NA", -5))
        for c, la, lo in (
            ("Evanston", 42.0451, -87.6877),
            ("Naperville", 41.7508, -88.1535),
            ("Oak Park", 41.8850, -87.7845),
        )
    ),
    "London": tuple(
        _place((c, "GB", "England", "ENG", la, lo, "Europe/London", "EU", 1))
        for c, la, lo in (
            ("Croydon", 51.3762, -0.0982),
            ("Watford", 51.6565, -0.3903),
            ("Reading", 51.4543, -0.9781),
        )
    ),
    "Munich": tuple(
        _place((c, "DE", "Bavaria", "BY", la, lo, "Europe/Berlin", "EU", 2))
        for c, la, lo in (
            ("Augsburg", 48.3705, 10.8978),
            ("Freising", 48.4029, 11.7488),
            ("Dachau", 48.2600, 11.4342),
        )
    ),
    "Sydney": tuple(
        _place((c, "AU", "New South Wales", "NSW", la, lo, "Australia/Sydney", "OC", 10))
        for c, la, lo in (
            ("Parramatta", -33.8150, 151.0011),
            ("Manly", -33.7969, 151.2840),
            ("Chatswood", -33.7969, 151.1803),
        )
    ),
}
TRAVEL_PLACES: tuple[Place, ...] = tuple(
    _place(spec)
    for spec in (
        ("Paris", "FR", "Île-de-France", "IDF", 48.8566, 2.3522, "Europe/Paris", "EU", 2),
        ("Tokyo", "JP", "Tokyo", "13", 35.6762, 139.6503, "Asia/Tokyo", "AS", 9),
        ("New York", "US", "New York", "NY", 40.7128, -74.0060, "America/New_York", "NA", -4),
        ("Madrid", "ES", "Madrid", "MD", 40.4168, -3.7038, "Europe/Madrid", "EU", 2),
        ("Singapore", "SG", "Central Singapore", "01", 1.3521, 103.8198, "Asia/Singapore", "AS", 8),
        ("Toronto", "CA", "Ontario", "ON", 43.6532, -79.3832, "America/Toronto", "NA", -4),
    )
)
FRANKFURT = _place(
    ("Frankfurt am Main", "DE", "Hesse", "HE", 50.1109, 8.6821, "Europe/Berlin", "EU", 2)
)
DUBLIN = _place(("Dublin", "IE", "Leinster", "L", 53.3498, -6.2603, "Europe/Dublin", "EU", 1))
AMSTERDAM = _place(
    ("Amsterdam", "NL", "North Holland", "NH", 52.3676, 4.9041, "Europe/Amsterdam", "EU", 2)
)
ASHBURN = _place(
    ("Ashburn", "US", "Virginia", "VA", 39.0438, -77.4874, "America/New_York", "NA", -4)
)
HOUSTON = _place(("Houston", "US", "Texas", "TX", 29.7604, -95.3698, "America/Chicago", "NA", -5))
BUCHAREST = _place(
    ("Bucharest", "RO", "București", "B", 44.4268, 26.1025, "Europe/Bucharest", "EU", 3)
)
