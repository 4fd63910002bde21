"""Address parsing, internal ranges, corporate networks, intel lists and the LRU cache."""

from __future__ import annotations

import ipaddress

import pytest

from correlator.enrich.cache import LruCache
from correlator.enrich.networks import (
    CorporateNetworks,
    IntelLists,
    IpRanges,
    is_internal,
    parse_ip,
    parse_network,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 192.0.2.1 ", "192.0.2.1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),  # IPv4-mapped unwraps
        ("::ffff:c000:201", "192.0.2.1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("192.0.2.1/32", None),
        ("01.2.3.4", None),  # leading zeros are ambiguous (octal?) and rejected
        ("", None),
    ],
)
def test_parse_ip(text: str, expected: str | None) -> None:
    addr = parse_ip(text)
    assert (str(addr) if addr is not None else None) == expected


def test_parse_network_unwraps_ipv4_mapped() -> None:
    assert parse_network("::ffff:192.0.2.0/120") == ipaddress.ip_network("192.0.2.0/24")
    assert parse_network("192.0.2.7/24") == ipaddress.ip_network("192.0.2.0/24")


@pytest.mark.parametrize(
    ("ip", "internal"),
    [
        ("100.63.255.255", False),
        ("100.64.0.0", True),
        ("100.127.255.255", True),
        ("100.128.0.0", False),
        ("172.15.255.255", False),
        ("172.31.255.255", True),
        ("172.32.0.0", False),
        ("192.0.2.0", False),
        ("198.18.0.1", True),
        ("8.8.8.8", False),
        ("fbff:ffff::1", False),
        ("fc00::", True),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", True),
        ("febf::1", True),
        ("2001:4860:4860::8888", False),
    ],
)
def test_internal_boundaries(ip: str, internal: bool) -> None:
    addr = parse_ip(ip)
    assert addr is not None and is_internal(addr) is internal


def test_ranges_merge_overlaps_and_neighbours() -> None:
    ranges = IpRanges(["192.0.2.0/25", "192.0.2.128/25", "192.0.2.64/26", "2001:db8::/64"])
    for ip, inside in [
        ("192.0.1.255", False),
        ("192.0.2.0", True),
        ("192.0.2.255", True),
        ("192.0.3.0", False),
        ("2001:db8::ffff", True),
        ("2001:db8:0:1::", False),
    ]:
        assert (ipaddress.ip_address(ip) in ranges) is inside
    assert not IpRanges()
    assert ipaddress.ip_address("192.0.2.1") not in IpRanges()


def test_corporate_contains() -> None:
    corporate = CorporateNetworks(["198.51.100.0/24", "2001:db8:c0::/48"], [64500])
    assert corporate.contains("198.51.100.7")
    assert corporate.contains("::ffff:198.51.100.7")
    assert corporate.contains("2001:db8:c0::1")
    assert corporate.contains("192.0.2.1", 64500)
    assert not corporate.contains("192.0.2.1", 64501)
    assert not corporate.contains("nonsense")
    assert corporate.contains(None, 64500)
    assert not CorporateNetworks()


def test_intel_match_is_sorted_by_list_name() -> None:
    lists = IntelLists({"zeta": ["192.0.2.0/24"], "alpha": ["192.0.2.1"]})
    assert lists.names == ("alpha", "zeta")
    assert lists.match(ipaddress.ip_address("192.0.2.1")) == ("alpha", "zeta")
    assert lists.match(ipaddress.ip_address("192.0.2.2")) == ("zeta",)


def test_lru_cache() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.get("missing") is None
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0
