"""The MaxMind databases found in one directory, read through ``geoip2``.

Files are found by MaxMind's standard names (what geoipupdate writes); any subset may be
present. Each lookup returns the ``NetworkInfo`` fields it learned, nothing when the address is
not in a database.
"""

from __future__ import annotations

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
Lookup = Callable[[geoip2.database.Reader, IpAddress], Fields]


def _city(reader: geoip2.database.Reader, addr: IpAddress) -> Fields:
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
    return fields


def _asn(reader: geoip2.database.Reader, addr: IpAddress) -> Fields:
    answer = reader.asn(addr)
    return {
        "asn": answer.autonomous_system_number,
        "as_org": answer.autonomous_system_organization,
    }


def _isp(reader: geoip2.database.Reader, addr: IpAddress) -> Fields:
    answer = reader.isp(addr)
    return {
        "asn": answer.autonomous_system_number,
        "as_org": answer.autonomous_system_organization,
    }


def _anonymous(reader: geoip2.database.Reader, addr: IpAddress) -> Fields:
    answer = reader.anonymous_ip(addr)
    return {
        "vpn": answer.is_anonymous_vpn,
        "public_proxy": answer.is_public_proxy,
        "residential_proxy": answer.is_residential_proxy,
        "tor": answer.is_tor_exit_node,
        "hosting": answer.is_hosting_provider,
    }


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

    def __init__(self, directory: Path | None) -> None:
        self._open: list[tuple[str, geoip2.database.Reader, Lookup]] = []
        self._failed: set[str] = set()
        self.errors = 0
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
        log.info("GeoIP databases in %s: %s", directory, ", ".join(self.names) or "none")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in self._open)

    def __bool__(self) -> bool:
        return bool(self._open)

    def lookup(self, addr: IpAddress) -> Fields:
        fields: Fields = {}
        for name, reader, lookup in self._open:
            try:
                fields.update(lookup(reader, addr))
            except geoip2.errors.AddressNotFoundError:
                continue
            except (maxminddb.InvalidDatabaseError, ValueError) as err:
                self._count_error(name, err)
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
