"""Small MaxMind DB files in the record layouts of MaxMind's City, ASN and Anonymous IP files.

For tests and for ``correlator simulate``: ``geoip2.database.Reader`` reads these exactly as it
reads the real files, so the enricher runs the production code path against synthetic data.

Layout choices, all as in MaxMind's published files:
- one IPv6 tree (``ip_version`` 6) holding IPv4 at ``::/96``, with the IPv4-mapped
  (``::ffff:0:0/96``) and 6to4 (``2002::/16``) ranges pointing at the same data;
- wire types: ``geoname_id`` and ``autonomous_system_number`` uint32, ``accuracy_radius``
  uint16, coordinates double, flags boolean; anonymizer flags are written only when true, and a
  network with no flag set is left out;
- country records carry ``registered_country`` equal to ``country``.
Not as in MaxMind's files: ``geoname_id`` values are synthetic (stable, in a range GeoNames does
not use) unless a ``CityRecord`` gives one, and names exist in English only.

Networks may overlap; a more specific network wins, and among equal networks the last one.
"""

from __future__ import annotations

import ipaddress
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mmdb_writer import MmdbF64, MmdbU16, MmdbU32, MMDBWriter
from netaddr import IPSet

from correlator.enrich.countries import CONTINENT_NAMES, COUNTRIES, EU_MEMBERS

CITY_FILE = "GeoLite2-City.mmdb"
PAID_CITY_FILE = "GeoIP2-City.mmdb"
ASN_FILE = "GeoLite2-ASN.mmdb"
ANONYMOUS_FILE = "GeoIP2-Anonymous-IP.mmdb"

Record = dict[str, Any]


def _check_network(network: str) -> None:
    try:
        ipaddress.ip_network(network, strict=False)
    except ValueError as err:
        raise ValueError(f"network {network!r} is not a CIDR or address: {err}") from None


@dataclass(frozen=True)
class CityRecord:
    """One network's location. ``continent`` "" means the continent of ``country``."""

    network: str
    country: str  # ISO 3166-1 alpha-2
    city: str  # "" for a country-level record
    latitude: float
    longitude: float
    accuracy_km: int
    continent: str = ""
    time_zone: str | None = None  # IANA name, e.g. Europe/London
    subdivision: str | None = None  # English name, e.g. England
    subdivision_code: str | None = None  # ISO 3166-2 suffix, e.g. ENG
    geoname_id: int | None = None  # of the city; synthetic when None

    def __post_init__(self) -> None:
        _check_network(self.network)
        where = f"city record {self.network}"
        if len(self.country) != 2 or not (self.country.isalpha() and self.country.isupper()):
            raise ValueError(f"{where}: country {self.country!r} is not an ISO alpha-2 code")
        if not (-90.0 <= self.latitude <= 90.0 and -180.0 <= self.longitude <= 180.0):
            raise ValueError(f"{where}: ({self.latitude}, {self.longitude}) is not a location")
        if not 0 <= self.accuracy_km <= 0xFFFF:
            raise ValueError(f"{where}: accuracy_km {self.accuracy_km} is not in 0..65535")
        if self.continent and self.continent not in CONTINENT_NAMES:
            raise ValueError(f"{where}: continent {self.continent!r} is not one of AF AN AS ...")
        if not self.continent and self.country not in COUNTRIES:
            raise ValueError(f"{where}: give the continent for country {self.country}")


@dataclass(frozen=True)
class AsnRecord:
    network: str
    asn: int
    org: str

    def __post_init__(self) -> None:
        _check_network(self.network)
        if not 0 <= self.asn <= 0xFFFFFFFF:
            raise ValueError(f"ASN record {self.network}: {self.asn} is not a 32-bit ASN")


@dataclass(frozen=True)
class AnonymousRecord:
    network: str
    vpn: bool = False
    public_proxy: bool = False
    residential_proxy: bool = False
    tor: bool = False
    hosting: bool = False

    def __post_init__(self) -> None:
        _check_network(self.network)


def write_city_db(path: Path | str, records: Iterable[CityRecord], *, lite: bool = True) -> None:
    """A City database; ``lite`` picks the GeoLite2-City type, else GeoIP2-City."""
    if lite:
        db_type, description = "GeoLite2-City", "GeoLite2City database"
    else:
        db_type, description = "GeoIP2-City", "GeoIP2 City database"
    items = [(rec.network, _city_data(rec)) for rec in records]
    _write(Path(path), db_type, description, items)


def write_asn_db(path: Path | str, records: Iterable[AsnRecord]) -> None:
    """A GeoLite2-ASN database."""
    items = [
        (
            rec.network,
            {
                "autonomous_system_number": MmdbU32(rec.asn),
                "autonomous_system_organization": rec.org,
            },
        )
        for rec in records
    ]
    _write(Path(path), "GeoLite2-ASN", "GeoLite2 ASN database", items)


def write_anonymous_db(path: Path | str, records: Iterable[AnonymousRecord]) -> None:
    """A GeoIP2-Anonymous-IP database."""
    items = [(rec.network, data) for rec in records if (data := _anonymous_data(rec))]
    _write(Path(path), "GeoIP2-Anonymous-IP", "GeoIP2 Anonymous IP database", items)


def write_geoip_dir(
    directory: Path | str,
    city: Iterable[CityRecord] | None = None,
    asn: Iterable[AsnRecord] | None = None,
    anonymous: Iterable[AnonymousRecord] | None = None,
    *,
    lite: bool = True,
) -> None:
    """The databases under MaxMind's standard file names; None skips a file, () writes it empty.

    ``lite`` writes the City database as GeoLite2-City.mmdb, else as GeoIP2-City.mmdb.
    """
    directory = Path(directory)
    if city is not None:
        write_city_db(directory / (CITY_FILE if lite else PAID_CITY_FILE), city, lite=lite)
    if asn is not None:
        write_asn_db(directory / ASN_FILE, asn)
    if anonymous is not None:
        write_anonymous_db(directory / ANONYMOUS_FILE, anonymous)


def _synthetic_id(kind: str, key: str) -> int:
    # 0x70000000 and up: far above every GeoNames id, so never mistaken for a real one.
    return 0x7000_0000 | (zlib.crc32(f"{kind}:{key}".encode()) & 0x0FFF_FFFF)


@cache
def _country_data(iso: str) -> Record:
    # Cached so every record shares one object and the writer stores it once.
    data: Record = {
        "geoname_id": MmdbU32(_synthetic_id("country", iso)),
        "iso_code": iso,
        "names": {"en": COUNTRIES.get(iso, (iso, ""))[0]},
    }
    if iso in EU_MEMBERS:
        data["is_in_european_union"] = True
    return data


@cache
def _continent_data(code: str) -> Record:
    return {
        "code": code,
        "geoname_id": MmdbU32(_synthetic_id("continent", code)),
        "names": {"en": CONTINENT_NAMES[code]},
    }


def _city_data(rec: CityRecord) -> Record:
    location: Record = {
        "accuracy_radius": MmdbU16(rec.accuracy_km),
        "latitude": MmdbF64(float(rec.latitude)),
        "longitude": MmdbF64(float(rec.longitude)),
    }
    if rec.time_zone:
        location["time_zone"] = rec.time_zone
    country = _country_data(rec.country)
    data: Record = {
        "continent": _continent_data(rec.continent or COUNTRIES[rec.country][1]),
        "country": country,
        "location": location,
        "registered_country": country,
    }
    if rec.city:
        city_id = rec.geoname_id or _synthetic_id("city", f"{rec.country}/{rec.city}")
        data["city"] = {"geoname_id": MmdbU32(city_id), "names": {"en": rec.city}}
    if rec.subdivision:
        data["subdivisions"] = [
            _subdivision_data(rec.country, rec.subdivision, rec.subdivision_code)
        ]
    return data


def _subdivision_data(country: str, name: str, code: str | None) -> Record:
    data: Record = {
        "geoname_id": MmdbU32(_synthetic_id("subdivision", f"{country}/{name}")),
        "names": {"en": name},
    }
    if code:
        data["iso_code"] = code
    return data


def _anonymous_data(rec: AnonymousRecord) -> Record:
    flags = {
        "is_anonymous_vpn": rec.vpn,
        "is_hosting_provider": rec.hosting,
        "is_public_proxy": rec.public_proxy,
        "is_residential_proxy": rec.residential_proxy,
        "is_tor_exit_node": rec.tor,
    }
    data: Record = {key: True for key, on in flags.items() if on}
    if data:
        data["is_anonymous"] = True
    return data


def _placements(network: str) -> list[tuple[int, str]]:
    """Where a network goes in the IPv6 tree, with its prefix length there."""
    net = ipaddress.ip_network(network, strict=False)
    if net.version == 6:
        return [(net.prefixlen, str(net))]
    value, length = int(net.network_address), net.prefixlen
    mapped = ipaddress.IPv6Network(((0xFFFF << 32) | value, 96 + length))
    six_to_four = ipaddress.IPv6Network(((0x2002 << 112) | (value << 80), 16 + length))
    # The IPv4 form itself lands at ::/96 (the writer's ipv4_compatible mode).
    return [(96 + length, str(net)), (96 + length, str(mapped)), (16 + length, str(six_to_four))]


def _write(path: Path, db_type: str, description: str, items: list[tuple[str, Record]]) -> None:
    writer = MMDBWriter(
        ip_version=6,
        database_type=db_type,
        languages=["en"],
        description={"en": description},
        ipv4_compatible=True,
    )
    placed = [
        (length, cidr, data) for network, data in items for length, cidr in _placements(network)
    ]
    # The writer lets a later supernet overwrite earlier subnets: insert the widest first.
    placed.sort(key=lambda item: item[0])
    for _, cidr, data in placed:
        writer.insert_network(IPSet([cidr]), data)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Replace atomically: a running reader may have the old file memory-mapped.
    partial = path.with_name(f".{path.name}.partial")
    writer.to_db_file(str(partial))
    os.replace(partial, path)
