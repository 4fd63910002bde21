"""Address classification for enrichment: parse once, then compare integers.

Networks are kept as sorted, merged integer intervals per IP version, so a membership test is
one ``bisect`` whatever the number of configured CIDRs.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from socket import AF_INET, AF_INET6, inet_pton

from correlator.errors import ConfigError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Never looked up: nobody geolocates these, and a sign-in from one says "inside", not "where".
# Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are left
# out on purpose: they are not private networks, only unrouted, and test and simulator data
# use them as stand-ins for public addresses.
INTERNAL_NETWORKS: tuple[str, ...] = (
    "0.0.0.0/8",  # "this network", includes the unspecified address
    "10.0.0.0/8",
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",  # IETF protocol assignments
    "192.168.0.0/16",
    "198.18.0.0/15",  # benchmarking
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, includes broadcast
    "::/128",
    "::1/128",
    "100::/64",  # discard-only
    "fc00::/7",  # unique local
    "fe80::/10",  # link-local
    "fec0::/10",  # deprecated site-local
    "ff00::/8",  # multicast
)


def parse_ip(text: str) -> IpAddress | None:
    """The address in ``text`` (IPv4-mapped IPv6 as its IPv4), or None if it is not one."""
    # inet_pton is several times faster than ipaddress' parser and agrees with it on the forms
    # it accepts; whitespace and zone ids ("fe80::1%eth0") take the slow path.
    try:
        if ":" not in text:
            return ipaddress.IPv4Address(inet_pton(AF_INET, text))
        addr = ipaddress.IPv6Address(inet_pton(AF_INET6, text))
    except (OSError, ValueError):
        return _parse_ip_slowly(text)
    except TypeError:
        return None
    mapped = addr.ipv4_mapped
    return mapped if mapped is not None else addr


def _parse_ip_slowly(text: str) -> IpAddress | None:
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def parse_network(text: str) -> IpNetwork:
    """A CIDR or a single address as a network; host bits are ignored. Raises ValueError."""
    net = ipaddress.ip_network(text.strip(), strict=False)
    mapped = net.network_address.ipv4_mapped if net.version == 6 else None
    if mapped is not None and net.prefixlen >= 96:
        # Written as ::ffff:a.b.c.d/n, but addresses are compared as IPv4 after parse_ip.
        return ipaddress.IPv4Network((int(mapped), net.prefixlen - 96))
    return net


class IpRanges:
    """An immutable set of networks, tested by integer interval per IP version."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, networks: Iterable[str | IpNetwork] = ()) -> None:
        spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        for item in networks:
            net = parse_network(item) if isinstance(item, str) else item
            spans[net.version].append((int(net.network_address), int(net.broadcast_address)))
        self._starts: dict[int, list[int]] = {}
        self._ends: dict[int, list[int]] = {}
        for version, items in spans.items():
            merged = _merge(items)
            self._starts[version] = [start for start, _ in merged]
            self._ends[version] = [end for _, end in merged]

    def __contains__(self, addr: IpAddress) -> bool:
        value = int(addr)
        starts = self._starts[addr.version]
        index = bisect_right(starts, value) - 1
        return index >= 0 and value <= self._ends[addr.version][index]

    def __bool__(self) -> bool:
        return bool(self._starts[4] or self._starts[6])


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


_INTERNAL = IpRanges(INTERNAL_NETWORKS)


def is_internal(addr: IpAddress) -> bool:
    """Private, loopback, link-local, CGNAT, multicast, reserved or unspecified."""
    return addr in _INTERNAL


class CorporateNetworks:
    """Configured corporate egress: source CIDRs (IPv4 and IPv6) and ASNs."""

    __slots__ = ("_asns", "_ranges")

    def __init__(self, cidrs: Iterable[str] = (), asns: Iterable[int] = ()) -> None:
        cidrs = tuple(cidrs)
        try:
            self._ranges = IpRanges(cidrs)
        except ValueError as err:
            raise ConfigError(f"corporate networks: {err}; expected CIDRs or addresses") from err
        try:
            self._asns = frozenset(int(asn) for asn in asns)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"corporate ASNs: {err}; expected integers") from err

    @property
    def asns(self) -> frozenset[int]:
        return self._asns

    def contains(self, ip: str | None, asn: int | None = None) -> bool:
        """True if the address is in a corporate CIDR or the ASN is a corporate ASN."""
        return self.contains_addr(parse_ip(ip) if ip else None, asn)

    def contains_addr(self, addr: IpAddress | None, asn: int | None = None) -> bool:
        if asn is not None and asn in self._asns:
            return True
        return addr is not None and addr in self._ranges

    def __bool__(self) -> bool:
        return bool(self._ranges or self._asns)


class IntelLists:
    """Named lists of addresses and CIDRs; an address matches every list that holds it."""

    __slots__ = ("_lists",)

    def __init__(self, lists: Mapping[str, Iterable[str]] | None = None) -> None:
        self._lists = tuple(
            (name, _intel_ranges(name, entries)) for name, entries in sorted((lists or {}).items())
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self._lists)

    def match(self, addr: IpAddress) -> tuple[str, ...]:
        return tuple(name for name, ranges in self._lists if addr in ranges)


def _intel_ranges(name: str, entries: Iterable[str]) -> IpRanges:
    if isinstance(entries, str):
        raise ConfigError(f"intel list {name!r}: expected a list of addresses, got one string")
    try:
        return IpRanges(entries)
    except ValueError as err:
        raise ConfigError(f"intel list {name!r}: {err}; expected addresses or CIDRs") from err
