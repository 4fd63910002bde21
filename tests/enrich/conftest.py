"""Synthetic MaxMind databases shared by the enrichment tests.

Addresses come from the documentation ranges (treated as public) and from 81.2.69.0/24, the
network MaxMind's own test databases use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from correlator.enrich import GeoIpEnricher
from correlator.enrich.mmdb_build import (
    AnonymousRecord,
    AsnRecord,
    CityRecord,
    write_geoip_dir,
)
from correlator.model import SignIn

CITY = (
    CityRecord(
        "81.2.69.0/24",
        "GB",
        "London",
        51.5142,
        -0.0931,
        20,
        time_zone="Europe/London",
        subdivision="England",
        subdivision_code="ENG",
    ),
    # More specific than the /24 around it: must win for its 16 addresses.
    CityRecord("81.2.69.192/28", "GB", "Leeds", 53.7965, -1.5478, 10),
    CityRecord("203.0.113.0/24", "NG", "Lagos", 6.4541, 3.3947, 100, time_zone="Africa/Lagos"),
    # Country-level answer: no city, a centroid and a wide radius.
    CityRecord("198.51.100.0/24", "US", "", 37.751, -97.822, 1000),
    CityRecord("2001:db8:100::/48", "DE", "Berlin", 52.5244, 13.4105, 5),
)
ASN = (
    AsnRecord("81.2.69.0/24", 20712, "Andrews & Arnold Ltd"),
    AsnRecord("203.0.113.0/24", 64511, "Bulletproof Hosting"),
    AsnRecord("198.51.100.0/24", 4_200_000_000, "Four-byte ASN Inc"),
    AsnRecord("2001:db8:100::/48", 64496, "Example Carrier"),
)
ANONYMOUS = (
    AnonymousRecord("203.0.113.8/29", vpn=True),
    AnonymousRecord("203.0.113.16/29", public_proxy=True),
    AnonymousRecord("203.0.113.24/29", residential_proxy=True),
    AnonymousRecord("203.0.113.32/29", tor=True),
    AnonymousRecord("203.0.113.40/29", hosting=True),
    AnonymousRecord("203.0.113.48/29"),  # no flag: MaxMind leaves such networks out
    AnonymousRecord("2001:db8:100:1::/64", vpn=True, hosting=True),
)

# The location and ASN an Entra sign-in log reports for itself.
LOG_LONDON = {
    "log_country": "GB",
    "log_city": "London",
    "log_latitude": 51.5,
    "log_longitude": -0.12,
    "log_asn": 5089,
}


@pytest.fixture
def geoip_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "GeoIP"
    write_geoip_dir(directory, city=CITY, asn=ASN, anonymous=ANONYMOUS)
    return directory


@pytest.fixture
def enricher(geoip_dir: Path) -> GeoIpEnricher:
    return GeoIpEnricher(geoip_dir)


def signin(ip: str | None = "81.2.69.5", **fields: Any) -> SignIn:
    return SignIn(
        id="s-1", time=1_700_000_000_000, user="alice@example.com", success=True, ip=ip, **fields
    )
