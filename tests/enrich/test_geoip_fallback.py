"""GeoIpEnricher: the sign-in log as fallback, corporate egress, intel lists, configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.enrich import CorporateNetworks, GeoIpEnricher
from correlator.errors import ConfigError
from correlator.model import NetworkInfo
from tests.enrich.conftest import LOG_LONDON, signin


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        # The log's location when the City database has no answer.
        (
            LOG_LONDON,
            {"country": "GB", "city": "London", "latitude": 51.5, "longitude": -0.12},
        ),
        # 0/0 is "no coordinates", the country still counts.
        (
            {"log_country": "GB", "log_latitude": 0.0, "log_longitude": 0.0},
            {"country": "GB", "latitude": None, "longitude": None, "accuracy_km": None},
        ),
        # One coordinate alone, or one out of range, is no location either.
        ({"log_country": "FR", "log_latitude": 48.8}, {"country": "FR", "latitude": None}),
        ({"log_latitude": 95.0, "log_longitude": 2.0}, {"geo_source": "none", "latitude": None}),
        # Empty strings are absent.
        ({"log_country": "", "log_city": " "}, {"geo_source": "none", "country": None}),
        # Coordinates alone are enough.
        (
            {"log_latitude": -33.9, "log_longitude": 151.2},
            {"geo_source": "log", "country": None, "latitude": -33.9, "accuracy_km": 50.0},
        ),
    ],
)
def test_log_fallback(enricher: GeoIpEnricher, log: dict[str, object], expected: dict) -> None:
    info = enricher.network_info("192.0.2.10", signin("192.0.2.10", **log))
    expected = {"geo_source": "log", **expected}
    if expected.get("latitude") is not None:
        expected.setdefault("accuracy_km", 50.0)
    assert {key: getattr(info, key) for key in expected} == expected


def test_log_fallback_accuracy_is_configurable(geoip_dir: Path) -> None:
    enricher = GeoIpEnricher(geoip_dir, log_accuracy_km=None)
    info = enricher.network_info("192.0.2.10", signin("192.0.2.10", **LOG_LONDON))
    assert (info.latitude, info.accuracy_km) == (51.5, None)


def test_database_answer_wins_over_the_log(enricher: GeoIpEnricher) -> None:
    info = enricher.network_info("203.0.113.9", signin("203.0.113.9", **LOG_LONDON))
    assert (info.country, info.city, info.asn, info.geo_source) == ("NG", "Lagos", 64511, "geoip")


def test_log_fallback_is_not_cached(enricher: GeoIpEnricher) -> None:
    london = enricher.network_info("192.0.2.10", signin("192.0.2.10", **LOG_LONDON))
    paris = enricher.network_info("192.0.2.10", signin("192.0.2.10", log_country="FR"))
    assert (london.country, paris.country, paris.city, paris.asn) == ("GB", "FR", None, None)
    assert enricher.network_info("192.0.2.10") == NetworkInfo()
    assert (enricher.lookups, enricher.cache_hits) == (1, 2)


def test_log_fallback_applies_to_internal_and_missing_ips(enricher: GeoIpEnricher) -> None:
    internal = enricher.network_info("10.0.0.1", signin("10.0.0.1", **LOG_LONDON))
    assert (internal.internal, internal.country, internal.geo_source) == (True, "GB", "log")
    missing = enricher.enrich(signin(None, log_country="GB")).network
    assert missing == NetworkInfo(country="GB", geo_source="log")
    assert enricher.lookups == 0


def test_log_asn_fills_in_when_no_asn_database_answered(enricher: GeoIpEnricher) -> None:
    # 2001:db8:200:: is in no database at all.
    info = enricher.network_info("2001:db8:200::1", signin("2001:db8:200::1", log_asn=5089))
    assert (info.asn, info.as_org) == (5089, None)
    ignored = enricher.network_info("81.2.69.5", signin("81.2.69.5", log_asn=5089))
    assert ignored.asn == 20712


def test_corporate_by_cidr_v4_and_v6(geoip_dir: Path) -> None:
    corporate = CorporateNetworks(["81.2.69.0/25", "2001:db8:100:1::/64"])
    enricher = GeoIpEnricher(geoip_dir, corporate=corporate)
    assert enricher.network_info("81.2.69.5").corporate is True
    assert enricher.network_info("::ffff:81.2.69.5").corporate is True
    assert enricher.network_info("81.2.69.129").corporate is False
    assert enricher.network_info("2001:db8:100:1::1").corporate is True
    assert enricher.network_info("2001:db8:100:2::1").corporate is False


def test_corporate_by_asn_from_database_or_log(geoip_dir: Path) -> None:
    enricher = GeoIpEnricher.from_dir(geoip_dir, corporate_asns=[20712, 5089])
    assert enricher.network_info("81.2.69.200").corporate is True
    assert enricher.network_info("203.0.113.1").corporate is False
    by_log = enricher.network_info("192.0.2.1", signin("192.0.2.1", log_asn=5089))
    assert (by_log.asn, by_log.corporate) == (5089, True)
    assert enricher.network_info("192.0.2.1").corporate is False


def test_intel_lists(geoip_dir: Path) -> None:
    intel = {
        "known-bad": ["203.0.113.9", "2001:db8:bad::/48"],
        "partner-vpn": ["203.0.113.0/28"],
    }
    enricher = GeoIpEnricher(geoip_dir, intel=intel)
    assert enricher.network_info("203.0.113.9").intel == ("known-bad", "partner-vpn")
    assert enricher.network_info("::ffff:203.0.113.10").intel == ("partner-vpn",)
    assert enricher.network_info("2001:db8:bad:1::1").intel == ("known-bad",)
    assert enricher.network_info("203.0.113.99").intel == ()


def test_bad_configuration_names_the_setting(geoip_dir: Path) -> None:
    with pytest.raises(ConfigError, match="known-bad"):
        GeoIpEnricher(geoip_dir, intel={"known-bad": ["203.0.113.300"]})
    with pytest.raises(ConfigError, match="one string"):
        GeoIpEnricher(geoip_dir, intel={"known-bad": "203.0.113.9"})
    with pytest.raises(ConfigError, match="corporate"):
        GeoIpEnricher.from_dir(geoip_dir, corporate_cidrs=["10.0.0.0/33"])
    with pytest.raises(ValueError, match="cache size"):
        GeoIpEnricher(geoip_dir, cache_size=-1)
