"""The MaxMind databases found in one directory, read through ``geoip2``.

Files are found by MaxMind's standard names (what geoipupdate writes); any subset may be
present. Each lookup returns the ``NetworkInfo`` fields it learned, nothing when the address is
not in a database.

A database answers for a whole network (the leaf of its search tree that holds the address,
which ``geoip2`` reports with each answer, and with each "not found" too), so what it said is
kept per network: the next address of a known network costs a few dict look-ups instead of a
``geoip2`` call (~11 µs for a City record, ~4 µs for an address the Anonymous IP database does
not hold, most of it the exception). Carrier and home-broadband addresses change all day
within the same networks, so a busy tenant keeps meeting new addresses of known networks.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geoip2.database
import geoip2.errors
import maxminddb

from correlator.enrich.networks import IpAddress

log = logging.getLogger(__name__)

# The paid editions first: where both are installed they are the more accurate.
CITY_FILES: tuple[str, ...] = ("GeoIP2-City.mmdb", "GeoLite2-City.mmdb")
ASN_FILES: tuple[str, ...] = ("GeoIP2-ISP.mmdb", "GeoLite2-ASN.mmdb", "GeoIP2-ASN.mmdb")
ANONYMOUS_FILES: tuple[str, ...] = ("GeoIP2-Anonymous-IP.mmdb",)

Fields = dict[str, Any]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# A database's answer for an address: its fields, and the network they hold for.
Lookup = Callable[[geoip2.database.Reader, IpAddress], tuple[Fields, Network | None]]
NETWORKS_PER_DATABASE = 16_384
_NO_FIELDS: Fields = {}


def _city(reader: geoip2.database.Reader, addr: IpAddress) -> tuple[Fields, Network | None]:
    answer = reader.city(addr)
    loc = answer.location
    radius = loc.accuracy_radius
    fields: Fields = {
        "country": answer.country.iso_code,
        "city": answer.city.name,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "accuracy_km": float(radius) if radius is not None else None,
    }
    if any(value is not None for value in fields.values()):
        fields["geo_source"] = "geoip"
    return fields, answer.traits.network


def _asn(reader: geoip2.database.Reader, addr: IpAddress) -> tuple[Fields, Network | None]:
    answer = reader.asn(addr)
    fields = {
        "asn": answer.autonomous_system_number,
        "as_org": answer.autonomous_system_organization,
    }
    return fields, answer.network


def _isp(reader: geoip2.database.Reader, addr: IpAddress) -> tuple[Fields, Network | None]:
    answer = reader.isp(addr)
    fields = {
        "asn": answer.autonomous_system_number,
        "as_org": answer.autonomous_system_organization,
    }
    return fields, answer.network


def _anonymous(reader: geoip2.database.Reader, addr: IpAddress) -> tuple[Fields, Network | None]:
    answer = reader.anonymous_ip(addr)
    fields = {
        "vpn": answer.is_anonymous_vpn,
        "public_proxy": answer.is_public_proxy,
        "residential_proxy": answer.is_residential_proxy,
        "tor": answer.is_tor_exit_node,
        "hosting": answer.is_hosting_provider,
    }
    return fields, answer.network


class AnswersByNetwork:
    """One database's answers, by the network each holds for; at most ``max_networks``
    (when full it starts over: the busy networks are back within a few sign-ins).

    A database's networks never overlap (each is a leaf of its tree), so an address belongs to
    at most one known network: it is found by masking it to each prefix length seen so far.
    """

    def __init__(self, max_networks: int = NETWORKS_PER_DATABASE) -> None:
        self.max_networks = max_networks
        self.answers: dict[tuple[int, int, int], Fields] = {}
        self.lengths: dict[int, list[int]] = {4: [], 6: []}

    def get(self, addr: IpAddress) -> Fields | None:
        answers = self.answers
        for length in self.lengths[addr.version]:
            found = answers.get(_network_key(addr, length))
            if found is not None:
                return found
        return None

    def put(self, addr: IpAddress, network: Network | None, fields: Fields) -> None:
        if self.max_networks <= 0:
            return  # remembering switched off
        # A network of the other family (an IPv4 address in an IPv6 tree is answered for as
        # IPv4 by geoip2, but no guess is made here) or none at all: not kept.
        if network is None or network.version != addr.version or addr not in network:
            return
        if len(self.answers) >= self.max_networks:
            self.answers.clear()
            self.lengths = {4: [], 6: []}
        length = network.prefixlen
        self.answers[_network_key(addr, length)] = fields
        if length not in self.lengths[addr.version]:
            self.lengths[addr.version].append(length)

    def __len__(self) -> int:
        return len(self.answers)


def _network_key(addr: IpAddress, length: int) -> tuple[int, int, int]:
    """The ``length``-bit network holding ``addr``: family, prefix length, leading bits."""
    bits = 32 if addr.version == 4 else 128
    return addr.version, length, int(addr) >> (bits - length)


def _city_lookup(db_type: str) -> Lookup | None:
    return _city if "City" in db_type else None


def _asn_lookup(db_type: str) -> Lookup | None:
    # geoip2's asn() accepts only "GeoLite2-ASN" types; the ISP edition carries the same fields.
    if "GeoLite2-ASN" in db_type:
        return _asn
    return _isp if "GeoIP2-ISP" in db_type else None


def _anonymous_lookup(db_type: str) -> Lookup | None:
    return _anonymous if "GeoIP2-Anonymous-IP" in db_type else None


_KINDS: tuple[tuple[tuple[str, ...], Callable[[str], Lookup | None]], ...] = (
    (CITY_FILES, _city_lookup),
    (ASN_FILES, _asn_lookup),
    (ANONYMOUS_FILES, _anonymous_lookup),
)


class GeoDatabases:
    """Open readers for the City, ASN and Anonymous IP databases that are present."""

    def __init__(
        self, directory: Path | None, *, max_networks: int = NETWORKS_PER_DATABASE
    ) -> None:
        self._open: list[tuple[str, geoip2.database.Reader, Lookup]] = []
        self.networks: list[AnswersByNetwork] = []  # one per open database, in the same order
        self._failed: set[str] = set()
        self.errors = 0
        self.calls = 0  # answers asked of geoip2 (the rest came from a known network)
        if directory is None:
            return
        if not directory.is_dir():
            log.warning(
                "GeoIP directory %s not found: sign-ins keep only the location their log reports",
                directory,
            )
            return
        for names, chooser in _KINDS:
            opened = _open_first(directory, names, chooser)
            if opened is not None:
                self._open.append(opened)
                self.networks.append(AnswersByNetwork(max_networks))
        log.info("GeoIP databases in %s: %s", directory, ", ".join(self.names) or "none")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in self._open)

    def __bool__(self) -> bool:
        return bool(self._open)

    def lookup(self, addr: IpAddress) -> Fields:
        fields: Fields = {}
        for (name, reader, lookup), known in zip(self._open, self.networks, strict=True):
            found = known.get(addr)
            if found is None:
                self.calls += 1
                try:
                    found, network = lookup(reader, addr)
                except geoip2.errors.AddressNotFoundError as err:
                    found, network = _NO_FIELDS, err.network
                except (maxminddb.InvalidDatabaseError, ValueError) as err:
                    self._count_error(name, err)
                    continue
                known.put(addr, network, found)
            fields.update(found)
        return fields

    def _count_error(self, name: str, err: Exception) -> None:
        # A corrupt file fails every lookup: warn once per file, keep enriching from the rest.
        self.errors += 1
        if name not in self._failed:
            self._failed.add(name)
            log.warning("GeoIP lookup in %s failed (further failures counted only): %s", name, err)

    def close(self) -> None:
        for _, reader, _ in self._open:
            reader.close()
        self._open.clear()
        self.networks.clear()


def _open_first(
    directory: Path, names: tuple[str, ...], chooser: Callable[[str], Lookup | None]
) -> tuple[str, geoip2.database.Reader, Lookup] | None:
    for name in names:
        path = directory / name
        if not path.is_file():
            continue
        try:
            reader = geoip2.database.Reader(str(path))
        except (OSError, maxminddb.InvalidDatabaseError, ValueError) as err:
            log.warning("GeoIP database %s cannot be opened, skipped: %s", path, err)
            continue
        lookup = chooser(reader.metadata().database_type)
        if lookup is None:
            log.warning(
                "GeoIP database %s has type %r, which this file name should not hold; skipped",
                path,
                reader.metadata().database_type,
            )
            reader.close()
            continue
        return name, reader, lookup
    return None
