"""GeoIP answers kept per network: the same fields as asking geoip2 for every address, with
one geoip2 call per database and network."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.enrich.databases import GeoDatabases
from correlator.enrich.mmdb_build import write_geoip_dir
from correlator.enrich.networks import parse_ip

from .conftest import ANONYMOUS, ASN, CITY


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    addr = parse_ip(text)
    assert addr is not None
    return addr


def test_an_address_of_a_known_network_asks_no_database(geoip_dir: Path) -> None:
    dbs = GeoDatabases(geoip_dir)
    first = dbs.lookup(_address("81.2.69.5"))
    assert (first["city"], first["asn"], dbs.calls) == ("London", 20712, 3)
    again = dbs.lookup(_address("81.2.69.6"))
    assert again == first and dbs.calls == 3


def test_a_more_specific_network_is_its_own_answer(geoip_dir: Path) -> None:
    # 81.2.69.192/28 (Leeds) sits inside the /24 (London): the City tree splits the /24, so
    # the London answer holds for a smaller network that does not cover the /28.
    dbs = GeoDatabases(geoip_dir)
    assert dbs.lookup(_address("81.2.69.5"))["city"] == "London"
    assert dbs.lookup(_address("81.2.69.200"))["city"] == "Leeds"
    assert dbs.lookup(_address("81.2.69.100"))["city"] == "London"


def test_not_found_is_remembered_for_its_network_too(geoip_dir: Path) -> None:
    dbs = GeoDatabases(geoip_dir)
    assert dbs.lookup(_address("192.0.2.1")) == {}
    calls = dbs.calls
    assert dbs.lookup(_address("192.0.2.77")) == {}
    assert dbs.calls == calls  # the empty network around 192.0.2.1 holds it


def test_the_memory_is_bounded(geoip_dir: Path) -> None:
    dbs = GeoDatabases(geoip_dir, max_networks=2)
    for text in ("81.2.69.5", "203.0.113.9", "198.51.100.1", "2001:db8:100::1", "192.0.2.1"):
        dbs.lookup(_address(text))
    assert all(len(known) <= 2 for known in dbs.networks)


def _inside(network: str) -> st.SearchStrategy[str]:
    net = ipaddress.ip_network(network)
    first = int(net.network_address)
    return st.integers(first, first + net.num_addresses - 1).map(
        lambda value: str(ipaddress.ip_address(value))
    )


_NETWORKS = sorted({r.network for r in (*CITY, *ASN, *ANONYMOUS)})
ADDRESSES = st.one_of(
    *[_inside(n) for n in _NETWORKS],
    _inside("81.2.0.0/16"),
    _inside("203.0.0.0/16"),
    _inside("2001:db8::/32"),
    st.integers(1, 2**32 - 1).map(lambda v: str(ipaddress.IPv4Address(v))),
)


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("network-answers") / "GeoIP"
    write_geoip_dir(directory, city=CITY, asn=ASN, anonymous=ANONYMOUS)
    return directory


@settings(max_examples=60, deadline=None)
@given(addresses=st.lists(ADDRESSES, min_size=1, max_size=40))
def test_same_fields_as_asking_geoip2_every_time(databases: Path, addresses: list[str]) -> None:
    remembering = GeoDatabases(databases)
    asking = GeoDatabases(databases, max_networks=0)
    for text in addresses:
        addr = _address(text)
        assert remembering.lookup(addr) == asking.lookup(addr), text
    assert asking.calls == 3 * len(addresses)
    assert remembering.calls <= asking.calls
