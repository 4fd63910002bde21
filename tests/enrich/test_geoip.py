"""GeoIpEnricher against synthetic MaxMind databases."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from correlator.enrich import Enricher, GeoIpEnricher
from correlator.enrich.mmdb_build import AsnRecord, CityRecord, write_asn_db, write_city_db
from correlator.model import NetworkInfo
from tests.enrich.conftest import LOG_LONDON, signin


def test_is_an_enricher(enricher: GeoIpEnricher) -> None:
    assert isinstance(enricher, Enricher)
    assert enricher.databases == (
        "GeoLite2-City.mmdb",
        "GeoLite2-ASN.mmdb",
        "GeoIP2-Anonymous-IP.mmdb",
    )


def test_public_ipv4_gets_geo_and_asn(enricher: GeoIpEnricher) -> None:
    assert enricher.network_info("81.2.69.5") == NetworkInfo(
        country="GB",
        city="London",
        latitude=51.5142,
        longitude=-0.0931,
        accuracy_km=20.0,
        asn=20712,
        as_org="Andrews & Arnold Ltd",
        geo_source="geoip",
    )
    assert enricher.lookups == 1


def test_enrich_attaches_network_and_keeps_the_rest(enricher: GeoIpEnricher) -> None:
    original = signin("81.2.69.200", device_id="d-1")
    enriched = enricher.enrich(original)
    assert enriched.network is not None and enriched.network.city == "Leeds"
    assert enriched.device_id == "d-1" and enriched.id == original.id
    assert original.network is None


@pytest.mark.parametrize(
    ("ip", "flag"),
    [
        ("203.0.113.9", "vpn"),
        ("203.0.113.17", "public_proxy"),
        ("203.0.113.25", "residential_proxy"),
        ("203.0.113.33", "tor"),
        ("203.0.113.41", "hosting"),
    ],
)
def test_each_anonymizer_flag(enricher: GeoIpEnricher, ip: str, flag: str) -> None:
    info = enricher.network_info(ip)
    flags = ("vpn", "public_proxy", "residential_proxy", "tor", "hosting")
    assert {name: getattr(info, name) for name in flags} == {name: name == flag for name in flags}
    assert (info.country, info.asn) == ("NG", 64511)


def test_ipv6(enricher: GeoIpEnricher) -> None:
    info = enricher.network_info("2001:db8:100:1::77")
    assert (info.country, info.city, info.asn, info.vpn, info.hosting) == (
        "DE",
        "Berlin",
        64496,
        True,
        True,
    )
    assert (info.latitude, info.longitude, info.accuracy_km) == (52.5244, 13.4105, 5.0)


def test_ipv4_mapped_is_treated_as_ipv4(enricher: GeoIpEnricher) -> None:
    assert enricher.network_info("::ffff:203.0.113.33") == enricher.network_info("203.0.113.33")
    assert enricher.network_info("::ffff:10.0.0.1").internal is True


def test_country_level_answer_is_kept(enricher: GeoIpEnricher) -> None:
    info = enricher.network_info("198.51.100.9", signin("198.51.100.9", **LOG_LONDON))
    assert (info.country, info.city, info.accuracy_km, info.geo_source) == (
        "US",
        None,
        1000.0,
        "geoip",
    )
    assert info.asn == 4_200_000_000


@pytest.mark.parametrize(
    "ip",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.10.10",
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.255",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "fe80::1%eth0",
        "ff02::1",
        "::ffff:192.168.0.1",
    ],
)
def test_internal_addresses_are_never_looked_up(enricher: GeoIpEnricher, ip: str) -> None:
    info = enricher.network_info(ip)
    assert info == NetworkInfo(internal=True)
    assert enricher.lookups == 0


@pytest.mark.parametrize("ip", ["192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1"])
def test_documentation_ranges_are_public(enricher: GeoIpEnricher, ip: str) -> None:
    assert enricher.network_info(ip).internal is False
    assert enricher.lookups == 1


@pytest.mark.parametrize("ip", [None, "", "not-an-ip", "999.1.1.1", "1.2.3", "1.2.3.4/24", " "])
def test_invalid_ips_give_nothing(enricher: GeoIpEnricher, ip: str | None) -> None:
    assert enricher.network_info(ip) == NetworkInfo()
    assert enricher.lookups == 0


def test_cache_hits_are_counted(enricher: GeoIpEnricher) -> None:
    first = enricher.network_info("81.2.69.5")
    second = enricher.network_info("81.2.69.5")
    assert second is first
    assert (enricher.lookups, enricher.cache_hits) == (1, 1)
    enricher.enrich(signin("81.2.69.5"))
    assert (enricher.lookups, enricher.cache_hits) == (1, 2)


def test_cache_is_bounded(geoip_dir: Path) -> None:
    enricher = GeoIpEnricher(geoip_dir, cache_size=2)
    for ip in ("81.2.69.1", "81.2.69.2", "81.2.69.3", "81.2.69.1"):
        enricher.network_info(ip)
    assert (enricher.lookups, enricher.cache_hits) == (4, 0)  # .1 was evicted by .3
    enricher.network_info("81.2.69.1")
    assert enricher.cache_hits == 1


def test_cache_size_zero_disables_caching(geoip_dir: Path) -> None:
    enricher = GeoIpEnricher(geoip_dir, cache_size=0)
    enricher.network_info("81.2.69.1")
    enricher.network_info("81.2.69.1")
    assert (enricher.lookups, enricher.cache_hits) == (2, 0)


@pytest.mark.parametrize(
    "present",
    [
        ("GeoLite2-City.mmdb",),
        ("GeoLite2-ASN.mmdb",),
        ("GeoIP2-Anonymous-IP.mmdb",),
        ("GeoLite2-City.mmdb", "GeoIP2-Anonymous-IP.mmdb"),
        ("GeoLite2-ASN.mmdb", "GeoIP2-Anonymous-IP.mmdb"),
    ],
)
def test_any_subset_of_databases(geoip_dir: Path, tmp_path: Path, present: tuple[str, ...]) -> None:
    subset = tmp_path / "subset"
    subset.mkdir()
    for name in present:
        shutil.copy(geoip_dir / name, subset / name)
    enricher = GeoIpEnricher(subset)
    assert enricher.databases == present
    info = enricher.network_info("203.0.113.33")
    assert (info.country == "NG") is ("GeoLite2-City.mmdb" in present)
    assert (info.asn == 64511) is ("GeoLite2-ASN.mmdb" in present)
    assert info.tor is ("GeoIP2-Anonymous-IP.mmdb" in present)
    assert enricher.lookups == 1


def test_empty_directory_has_no_databases(tmp_path: Path) -> None:
    enricher = GeoIpEnricher(tmp_path)
    assert enricher.databases == ()
    assert enricher.network_info("81.2.69.5") == NetworkInfo()
    assert enricher.lookups == 0


def test_missing_directory_is_logged_and_falls_back_to_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="correlator.enrich"):
        enricher = GeoIpEnricher(tmp_path / "absent")
    assert "not found" in caplog.text
    assert enricher.databases == ()
    info = enricher.enrich(signin("81.2.69.5", **LOG_LONDON)).network
    assert info is not None
    assert (info.country, info.city, info.asn, info.geo_source) == ("GB", "London", 5089, "log")


def test_no_directory_at_all() -> None:
    enricher = GeoIpEnricher(None)
    assert enricher.databases == ()
    assert enricher.network_info("10.0.0.1") == NetworkInfo(internal=True)


def test_paid_city_preferred_over_lite(tmp_path: Path) -> None:
    write_city_db(
        tmp_path / "GeoLite2-City.mmdb", [CityRecord("192.0.2.0/24", "GB", "Lite", 1, 1, 50)]
    )
    write_city_db(
        tmp_path / "GeoIP2-City.mmdb",
        [CityRecord("192.0.2.0/24", "GB", "Paid", 1, 1, 5)],
        lite=False,
    )
    enricher = GeoIpEnricher(tmp_path)
    assert enricher.databases == ("GeoIP2-City.mmdb",)
    assert enricher.network_info("192.0.2.1").city == "Paid"


def test_geoip2_asn_file_name_is_found(tmp_path: Path) -> None:
    write_asn_db(tmp_path / "GeoIP2-ASN.mmdb", [AsnRecord("192.0.2.0/24", 64500, "Example")])
    enricher = GeoIpEnricher(tmp_path)
    assert enricher.databases == ("GeoIP2-ASN.mmdb",)
    assert enricher.network_info("192.0.2.1").asn == 64500


def test_file_of_the_wrong_type_is_skipped(
    geoip_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copy(geoip_dir / "GeoLite2-ASN.mmdb", tmp_path / "GeoIP2-City.mmdb")
    shutil.copy(geoip_dir / "GeoLite2-City.mmdb", tmp_path / "GeoLite2-City.mmdb")
    with caplog.at_level(logging.WARNING, logger="correlator.enrich"):
        enricher = GeoIpEnricher(tmp_path)
    assert "GeoLite2-ASN" in caplog.text
    assert enricher.databases == ("GeoLite2-City.mmdb",)
    assert enricher.network_info("81.2.69.5").city == "London"


def test_corrupt_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "GeoLite2-City.mmdb").write_bytes(b"not a database")
    assert GeoIpEnricher(tmp_path).databases == ()


def test_close(geoip_dir: Path) -> None:
    with GeoIpEnricher(geoip_dir) as enricher:
        enricher.network_info("81.2.69.5")
    assert enricher.databases == ()
