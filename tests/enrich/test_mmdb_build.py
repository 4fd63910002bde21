"""The builder's files, read back with geoip2 exactly as production reads MaxMind's files."""

from __future__ import annotations

from pathlib import Path

import geoip2.database
import geoip2.errors
import pytest

from correlator.enrich.mmdb_build import (
    AnonymousRecord,
    AsnRecord,
    CityRecord,
    write_anonymous_db,
    write_asn_db,
    write_city_db,
    write_geoip_dir,
)
from tests.enrich.conftest import CITY
from tests.enrich.wire import wire_types


def _reader(directory: Path, name: str) -> geoip2.database.Reader:
    return geoip2.database.Reader(str(directory / name))


def test_standard_file_names_and_metadata(geoip_dir: Path) -> None:
    assert sorted(p.name for p in geoip_dir.iterdir()) == [
        "GeoIP2-Anonymous-IP.mmdb",
        "GeoLite2-ASN.mmdb",
        "GeoLite2-City.mmdb",
    ]
    for name, db_type in [
        ("GeoLite2-City.mmdb", "GeoLite2-City"),
        ("GeoLite2-ASN.mmdb", "GeoLite2-ASN"),
        ("GeoIP2-Anonymous-IP.mmdb", "GeoIP2-Anonymous-IP"),
    ]:
        meta = _reader(geoip_dir, name).metadata()
        assert (meta.database_type, meta.ip_version, meta.languages) == (db_type, 6, ["en"])
        assert meta.binary_format_major_version == 2


def test_city_record_fields(geoip_dir: Path) -> None:
    answer = _reader(geoip_dir, "GeoLite2-City.mmdb").city("81.2.69.5")
    assert answer.city.name == "London"
    assert isinstance(answer.city.geoname_id, int)
    assert answer.country.iso_code == "GB"
    assert answer.country.names == {"en": "United Kingdom"}
    assert answer.country.is_in_european_union is False
    assert answer.registered_country.iso_code == "GB"
    assert answer.continent.code == "EU"
    assert answer.continent.name == "Europe"
    assert answer.location.latitude == 51.5142
    assert answer.location.longitude == -0.0931
    assert answer.location.accuracy_radius == 20
    assert answer.location.time_zone == "Europe/London"
    assert [(s.iso_code, s.name) for s in answer.subdivisions] == [("ENG", "England")]
    assert answer.traits.network is not None and str(answer.traits.network) == "81.2.69.0/25"


def test_city_record_keys_match_maxmind_layout(geoip_dir: Path) -> None:
    record = _reader(geoip_dir, "GeoLite2-City.mmdb").city("81.2.69.5").to_dict()
    assert set(record) == {
        "city",
        "continent",
        "country",
        "location",
        "registered_country",
        "subdivisions",
        "traits",
    }


def test_wire_types_are_the_ones_maxmind_uses(geoip_dir: Path) -> None:
    city = wire_types(geoip_dir / "GeoLite2-City.mmdb", "81.2.69.5")
    assert city["city"] == {"geoname_id": "uint32", "names": {"en": "utf8_string"}}
    assert city["country"]["geoname_id"] == "uint32"
    assert city["location"] == {
        "accuracy_radius": "uint16",
        "latitude": "double",
        "longitude": "double",
        "time_zone": "utf8_string",
    }
    asn = wire_types(geoip_dir / "GeoLite2-ASN.mmdb", "81.2.69.5")
    assert asn == {
        "autonomous_system_number": "uint32",
        "autonomous_system_organization": "utf8_string",
    }
    anonymous = wire_types(geoip_dir / "GeoIP2-Anonymous-IP.mmdb", "203.0.113.33")
    assert anonymous == {"is_anonymous": "boolean", "is_tor_exit_node": "boolean"}


@pytest.mark.parametrize(
    ("ip", "city", "network"),
    [
        ("81.2.69.191", "London", "81.2.69.128/26"),  # just below the nested /28
        ("81.2.69.192", "Leeds", "81.2.69.192/28"),  # the more specific record wins
        ("81.2.69.207", "Leeds", "81.2.69.192/28"),
        ("81.2.69.208", "London", "81.2.69.208/28"),
        ("::ffff:81.2.69.200", "Leeds", "::ffff:5102:45c0/124"),  # IPv4-mapped alias
        ("2002:5102:45c8::1", "Leeds", "2002:5102:45c0::/44"),  # 6to4 alias
        ("2001:db8:100:ffff::1", "Berlin", "2001:db8:100::/48"),
        ("198.51.100.7", None, "198.51.100.0/24"),  # country-level record
    ],
)
def test_city_lookups_by_network(geoip_dir: Path, ip: str, city: str | None, network: str) -> None:
    answer = _reader(geoip_dir, "GeoLite2-City.mmdb").city(ip)
    assert answer.city.name == city
    assert str(answer.traits.network) == network


def test_country_level_record_has_no_city(geoip_dir: Path) -> None:
    answer = _reader(geoip_dir, "GeoLite2-City.mmdb").city("198.51.100.7")
    assert (answer.city.name, answer.city.geoname_id) == (None, None)
    assert (answer.country.iso_code, answer.continent.code) == ("US", "NA")
    assert answer.location.accuracy_radius == 1000


@pytest.mark.parametrize("ip", ["8.8.8.8", "2001:db8:200::1", "::ffff:8.8.8.8", "192.0.2.1"])
def test_addresses_outside_every_network_are_not_found(geoip_dir: Path, ip: str) -> None:
    with pytest.raises(geoip2.errors.AddressNotFoundError):
        _reader(geoip_dir, "GeoLite2-City.mmdb").city(ip)


def test_asn_record_fields(geoip_dir: Path) -> None:
    reader = _reader(geoip_dir, "GeoLite2-ASN.mmdb")
    answer = reader.asn("81.2.69.5")
    assert answer.autonomous_system_number == 20712
    assert answer.autonomous_system_organization == "Andrews & Arnold Ltd"
    assert reader.asn("198.51.100.1").autonomous_system_number == 4_200_000_000
    assert reader.asn("2001:db8:100::1").autonomous_system_number == 64496


@pytest.mark.parametrize(
    ("ip", "flag"),
    [
        ("203.0.113.9", "is_anonymous_vpn"),
        ("203.0.113.17", "is_public_proxy"),
        ("203.0.113.25", "is_residential_proxy"),
        ("203.0.113.33", "is_tor_exit_node"),
        ("203.0.113.41", "is_hosting_provider"),
    ],
)
def test_anonymous_flags(geoip_dir: Path, ip: str, flag: str) -> None:
    answer = _reader(geoip_dir, "GeoIP2-Anonymous-IP.mmdb").anonymous_ip(ip)
    flags = {
        name: getattr(answer, name)
        for name in (
            "is_anonymous_vpn",
            "is_public_proxy",
            "is_residential_proxy",
            "is_tor_exit_node",
            "is_hosting_provider",
        )
    }
    assert answer.is_anonymous is True
    assert flags == {name: name == flag for name in flags}


def test_anonymous_network_without_flags_is_left_out(geoip_dir: Path) -> None:
    reader = _reader(geoip_dir, "GeoIP2-Anonymous-IP.mmdb")
    with pytest.raises(geoip2.errors.AddressNotFoundError):
        reader.anonymous_ip("203.0.113.49")
    v6 = reader.anonymous_ip("2001:db8:100:1::9")
    assert (v6.is_anonymous_vpn, v6.is_hosting_provider, v6.is_tor_exit_node) == (True, True, False)


def test_reader_methods_refuse_the_other_database_types(geoip_dir: Path) -> None:
    # The type checks production relies on: each file answers only its own method.
    with pytest.raises(TypeError):
        _reader(geoip_dir, "GeoLite2-ASN.mmdb").city("81.2.69.5")
    with pytest.raises(TypeError):
        _reader(geoip_dir, "GeoLite2-City.mmdb").asn("81.2.69.5")
    with pytest.raises(TypeError):
        _reader(geoip_dir, "GeoLite2-City.mmdb").anonymous_ip("81.2.69.5")


def test_paid_city_edition(tmp_path: Path) -> None:
    write_geoip_dir(tmp_path, city=CITY, lite=False)
    assert [p.name for p in tmp_path.iterdir()] == ["GeoIP2-City.mmdb"]
    reader = _reader(tmp_path, "GeoIP2-City.mmdb")
    assert reader.metadata().database_type == "GeoIP2-City"
    assert reader.city("81.2.69.5").city.name == "London"


def test_eu_membership_and_explicit_geoname_id(tmp_path: Path) -> None:
    path = tmp_path / "city.mmdb"
    write_city_db(
        path, [CityRecord("192.0.2.0/24", "DE", "Berlin", 52.5, 13.4, 5, geoname_id=2950159)]
    )
    answer = geoip2.database.Reader(str(path)).city("192.0.2.1")
    assert answer.country.is_in_european_union is True
    assert answer.city.geoname_id == 2950159


def test_unknown_country_needs_a_continent(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="continent"):
        CityRecord("192.0.2.0/24", "XK", "Pristina", 42.7, 21.2, 10)
    path = tmp_path / "city.mmdb"
    write_city_db(path, [CityRecord("192.0.2.0/24", "XK", "Pristina", 42.7, 21.2, 10, "EU")])
    answer = geoip2.database.Reader(str(path)).city("192.0.2.1")
    assert (answer.country.name, answer.continent.code) == ("XK", "EU")


def test_empty_databases_answer_nothing(tmp_path: Path) -> None:
    write_asn_db(tmp_path / "asn.mmdb", [])
    write_anonymous_db(tmp_path / "anon.mmdb", [AnonymousRecord("192.0.2.0/24")])
    with pytest.raises(geoip2.errors.AddressNotFoundError):
        geoip2.database.Reader(str(tmp_path / "asn.mmdb")).asn("192.0.2.1")
    with pytest.raises(geoip2.errors.AddressNotFoundError):
        geoip2.database.Reader(str(tmp_path / "anon.mmdb")).anonymous_ip("192.0.2.1")


def test_rewrite_replaces_the_file_and_leaves_no_partial(tmp_path: Path) -> None:
    path = tmp_path / "asn.mmdb"
    write_asn_db(path, [AsnRecord("192.0.2.0/24", 64500, "Old")])
    write_asn_db(path, [AsnRecord("192.0.2.0/24", 64501, "New")])
    assert geoip2.database.Reader(str(path)).asn("192.0.2.1").autonomous_system_number == 64501
    assert [p.name for p in tmp_path.iterdir()] == ["asn.mmdb"]


def test_equal_networks_last_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "asn.mmdb"
    write_asn_db(
        path, [AsnRecord("192.0.2.0/24", 1, "First"), AsnRecord("192.0.2.0/24", 2, "Last")]
    )
    assert geoip2.database.Reader(str(path)).asn("192.0.2.1").autonomous_system_number == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: AsnRecord("192.0.2.0/33", 1, "x"), "not a CIDR"),
        (lambda: AsnRecord("192.0.2.0/24", 2**32, "x"), "32-bit"),
        (lambda: AnonymousRecord("nonsense", vpn=True), "not a CIDR"),
        (lambda: CityRecord("192.0.2.0/24", "gb", "x", 0.0, 0.0, 1), "alpha-2"),
        (lambda: CityRecord("192.0.2.0/24", "GB", "x", 91.0, 0.0, 1), "not a location"),
        (lambda: CityRecord("192.0.2.0/24", "GB", "x", 1.0, 1.0, 70000), "accuracy_km"),
        (lambda: CityRecord("192.0.2.0/24", "GB", "x", 1.0, 1.0, 1, "XX"), "continent"),
    ],
)
def test_records_validate_themselves(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]
