"""Properties over arbitrary addresses: never raise, never look up an internal address."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.enrich import GeoIpEnricher
from correlator.enrich.mmdb_build import write_geoip_dir
from correlator.enrich.networks import INTERNAL_NETWORKS, is_internal, parse_ip
from tests.enrich.conftest import ANONYMOUS, ASN, CITY, signin

DOCUMENTATION = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
CGNAT = ipaddress.ip_network("100.64.0.0/10")
# IANA: not globally reachable as a whole; the stdlib lists only some of its entries.
IETF_ASSIGNMENTS = ipaddress.ip_network("192.0.0.0/24")

addresses = st.one_of(
    st.ip_addresses(),
    st.sampled_from(INTERNAL_NETWORKS).flatmap(lambda net: st.ip_addresses(network=net)),
    st.sampled_from(DOCUMENTATION).flatmap(lambda net: st.ip_addresses(network=net)),
    st.ip_addresses(v=4).map(lambda a: ipaddress.IPv6Address(f"::ffff:{a}")),
)


@pytest.fixture(scope="module")
def enricher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeoIpEnricher]:
    directory: Path = tmp_path_factory.mktemp("GeoIP")
    write_geoip_dir(directory, city=CITY, asn=ASN, anonymous=ANONYMOUS)
    with GeoIpEnricher(directory, cache_size=0) as enricher:
        yield enricher


def _stdlib_says_not_public(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        addr.is_private
        or addr.is_reserved
        or addr.is_multicast
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_unspecified
        or addr.is_site_local
        if isinstance(addr, ipaddress.IPv6Address)
        else addr.is_private
        or addr.is_reserved
        or addr.is_multicast
        or addr in CGNAT
        or addr in IETF_ASSIGNMENTS
    )


@settings(max_examples=500, deadline=None)
@given(addresses)
def test_internal_addresses_are_never_looked_up(
    enricher: GeoIpEnricher, addr: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> None:
    before = enricher.lookups
    info = enricher.network_info(str(addr))
    if info.internal:
        assert enricher.lookups == before
        assert (info.country, info.asn, info.geo_source) == (None, None, "none")
    else:
        assert enricher.lookups == before + 1
    unwrapped = getattr(addr, "ipv4_mapped", None) or addr
    if info.internal:
        assert _stdlib_says_not_public(unwrapped)
    if any(unwrapped in net for net in DOCUMENTATION):
        assert not info.internal
    assert info.internal is is_internal(unwrapped)


@settings(max_examples=300, deadline=None)
@given(
    ip=st.one_of(st.none(), st.text(max_size=45), addresses.map(str)),
    lat=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    lon=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    country=st.one_of(st.none(), st.text(max_size=3)),
)
def test_enrich_never_raises(
    enricher: GeoIpEnricher,
    ip: str | None,
    lat: float | None,
    lon: float | None,
    country: str | None,
) -> None:
    event = signin(ip, log_latitude=lat, log_longitude=lon, log_country=country)
    info = enricher.enrich(event).network
    assert info is not None
    if info.latitude is not None and info.geo_source == "log":
        assert -90 <= info.latitude <= 90 and (info.latitude, info.longitude) != (0.0, 0.0)


def _reference_parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return getattr(addr, "ipv4_mapped", None) or addr


address_like_text = st.one_of(
    st.text(max_size=45),
    st.text(alphabet="0123456789abcdefABCDEF:.%/ ", max_size=45),
    addresses.map(str),
    addresses.map(lambda a: a.exploded),
)


@settings(max_examples=1000, deadline=None)
@given(address_like_text)
def test_fast_parse_agrees_with_the_stdlib(text: str) -> None:
    assert parse_ip(text) == _reference_parse(text)
