"""Geo-IP, ASN, anonymizer, corporate-egress and intel enrichment of sign-ins.

What an address resolves to is cached by the address string. The sign-in log's own location
and ASN are a per-sign-in fallback applied after the cache, so they are never cached.

Fallback rule: when the City database gave no answer (absent, address not in it, or an internal,
missing or invalid address that is never looked up), the location the log reports is used with
``geo_source="log"``. Coordinates of exactly 0/0, outside
the valid range, or only half present are treated as absent. Log coordinates carry
``log_accuracy_km`` (default 50 km): Entra locates sign-ins by IP at roughly city level, and an
explicit radius keeps impossible-travel checks from treating them as exact points. Pass None to
leave the accuracy unknown. The log ASN fills in when no ASN database answered, and counts for
the corporate-ASN test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec

from correlator.enrich.cache import LruCache
from correlator.enrich.databases import GeoDatabases
from correlator.enrich.networks import (
    CorporateNetworks,
    IntelLists,
    IpAddress,
    is_internal,
    parse_ip,
)
from correlator.model import NetworkInfo, SignIn

DEFAULT_GEOIP_DIR = Path("/usr/share/GeoIP")  # where geoipupdate writes by default
DEFAULT_LOG_ACCURACY_KM = 50.0

_NOTHING = NetworkInfo()
_replace = msgspec.structs.replace


class GeoIpEnricher:
    """Enriches sign-ins from the MaxMind databases in one directory (implements ``Enricher``).

    Counters for metrics: ``lookups`` counts addresses resolved against the databases (cache
    misses for public addresses while at least one database is open), ``cache_hits`` counts
    answers served from the cache. Not thread-safe: one instance per partition owner.
    """

    def __init__(
        self,
        geoip_dir: Path | None = DEFAULT_GEOIP_DIR,
        *,
        corporate: CorporateNetworks | None = None,
        intel: Mapping[str, Iterable[str]] | None = None,
        cache_size: int = 65536,
        log_accuracy_km: float | None = DEFAULT_LOG_ACCURACY_KM,
    ) -> None:
        self._corporate = corporate if corporate is not None else CorporateNetworks()
        self._intel = IntelLists(intel)
        self._cache: LruCache[str, NetworkInfo] = LruCache(cache_size)
        self._log_accuracy_km = log_accuracy_km
        self._dbs = GeoDatabases(geoip_dir)
        self.databases: tuple[str, ...] = self._dbs.names
        self.lookups = 0
        self.cache_hits = 0

    @classmethod
    def from_dir(
        cls,
        geoip_dir: Path | str | None = DEFAULT_GEOIP_DIR,
        *,
        corporate_cidrs: Iterable[str] = (),
        corporate_asns: Iterable[int] = (),
        intel: Mapping[str, Iterable[str]] | None = None,
        cache_size: int = 65536,
        log_accuracy_km: float | None = DEFAULT_LOG_ACCURACY_KM,
    ) -> GeoIpEnricher:
        """Build from plain configuration values (a path string, CIDR and ASN lists)."""
        return cls(
            Path(geoip_dir) if geoip_dir is not None else None,
            corporate=CorporateNetworks(corporate_cidrs, corporate_asns),
            intel=intel,
            cache_size=cache_size,
            log_accuracy_km=log_accuracy_km,
        )

    @property
    def lookup_errors(self) -> int:
        """Lookups that failed inside a database (a corrupt file); the address got no data."""
        return self._dbs.errors

    def enrich(self, signin: SignIn) -> SignIn:
        """The sign-in with ``network`` filled (what the tests and the bench's stages read)."""
        return _replace(signin, network=self.network(signin))

    def network(self, signin: SignIn) -> NetworkInfo:
        return self.network_info(signin.ip, signin)

    def network_info(self, ip: str | None, signin: SignIn | None = None) -> NetworkInfo:
        """What is known about ``ip``; with ``signin``, its log location fills the gaps."""
        if ip:
            info = self._cache.get(ip)
            if info is None:
                info = self._resolve(ip)
                self._cache.put(ip, info)
            else:
                self.cache_hits += 1
        else:
            info = _NOTHING
        if signin is None or (info.geo_source == "geoip" and info.asn is not None):
            return info
        return self._with_log(info, signin)

    def _resolve(self, ip: str) -> NetworkInfo:
        addr = parse_ip(ip)
        if addr is None:
            return _NOTHING
        internal = is_internal(addr)
        fields = {} if internal else self._lookup(addr)
        return NetworkInfo(
            internal=internal,
            corporate=self._corporate.contains_addr(addr, fields.get("asn")),
            intel=self._intel.match(addr),
            **fields,
        )

    def _lookup(self, addr: IpAddress) -> dict[str, Any]:
        if not self._dbs:
            return {}
        self.lookups += 1
        return self._dbs.lookup(addr)

    def _with_log(self, info: NetworkInfo, signin: SignIn) -> NetworkInfo:
        updates = {} if info.geo_source == "geoip" else self._log_geo(signin)
        if info.asn is None and signin.log_asn:
            updates["asn"] = signin.log_asn
            if not info.corporate and signin.log_asn in self._corporate.asns:
                updates["corporate"] = True
        return _replace(info, **updates) if updates else info

    def _log_geo(self, signin: SignIn) -> dict[str, Any]:
        country = (signin.log_country or "").strip() or None
        city = (signin.log_city or "").strip() or None
        lat, lon = signin.log_latitude, signin.log_longitude
        has_point = (
            lat is not None
            and lon is not None
            and -90.0 <= lat <= 90.0
            and -180.0 <= lon <= 180.0
            and not (lat == 0.0 and lon == 0.0)
        )
        if not (country or city or has_point):
            return {}
        fields: dict[str, Any] = {"country": country, "city": city, "geo_source": "log"}
        if has_point:
            fields.update(latitude=lat, longitude=lon, accuracy_km=self._log_accuracy_km)
        return fields

    def close(self) -> None:
        self._dbs.close()
        self._cache.clear()
        self.databases = ()

    def __enter__(self) -> GeoIpEnricher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
