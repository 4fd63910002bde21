"""Reduce an enriched sign-in to the facts the join and the baseline need."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from correlator.engine.state import SignInFacts
from correlator.model import NetworkInfo, SignIn

_EMPTY_NETWORK = NetworkInfo()


@lru_cache(maxsize=65_536)
def ip_prefix(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) a sign-in came from: a stable 'same network' key."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4:
        head = str(address).rsplit(".", 1)[0]
        return f"{head}.0/24"
    return str(ipaddress.IPv6Network((int(address) >> 80 << 80, 48)))


def agent_family(browser: str | None, os_name: str | None) -> str | None:
    """Browser and OS without versions: updates must not look like a new client."""
    if len(browser or "") + len(os_name or "") > _CACHED_AGENT:
        return _agent_family(browser, os_name)  # unique junk must not fill the cache
    return _cached_agent_family(browser, os_name)


_CACHED_AGENT = 256


def _agent_family(browser: str | None, os_name: str | None) -> str | None:

    def family(text: str | None) -> str:
        if not text:
            return ""
        words = [w for w in text.split() if not any(ch.isdigit() for ch in w)]
        return " ".join(words).lower()

    key = f"{family(browser)}|{family(os_name)}"
    return None if key == "|" else key


_cached_agent_family = lru_cache(maxsize=4096)(_agent_family)


def log_network(signin: SignIn) -> NetworkInfo:
    """Without enrichment, the location the sign-in log reports is all there is."""
    has_point = signin.log_latitude is not None and signin.log_longitude is not None
    if has_point and signin.log_latitude == 0 and signin.log_longitude == 0:
        has_point = False  # 0/0 is how empty coordinates are exported
    if not signin.log_country and not has_point and signin.log_asn is None:
        return _EMPTY_NETWORK
    return NetworkInfo(
        country=signin.log_country or None,
        city=signin.log_city or None,
        latitude=signin.log_latitude if has_point else None,
        longitude=signin.log_longitude if has_point else None,
        asn=signin.log_asn,
        geo_source="log",
    )


# Facts stay in state for the whole horizon: a 60 KB user agent per sign-in would be kept
# 60 KB at a time. Real values are far shorter; longer ones are still told apart by their start.
MAX_FACT = 1024


def _cap(value: str | None) -> str | None:
    return value if value is None or len(value) <= MAX_FACT else value[:MAX_FACT]


def to_facts(signin: SignIn, network: NetworkInfo | None = None) -> SignInFacts:
    """``network``: what enrichment found (else the sign-in's own, else its log's location)."""
    facts = _facts(signin, network if network is not None else signin.network)
    if signin.failure_detail is not None:
        facts.error_detail = signin.failure_detail
    return facts


def _facts(signin: SignIn, network: NetworkInfo | None) -> SignInFacts:
    net = network if network is not None else log_network(signin)
    # Positional, in SignInFacts' field order: this runs once per sign-in, keywords cost more.
    return SignInFacts(
        signin.id[:MAX_FACT],
        signin.time,
        signin.success,
        signin.interactive,
        signin.ip,
        _cap(signin.device_id) or None,
        _cap(signin.device_name),
        _cap(signin.device_os),
        bool(signin.device_managed or signin.device_compliant),
        _cap(agent_family(signin.browser, signin.device_os)),
        _cap(signin.user_agent),
        _cap(signin.app),
        net.country,
        _cap(net.city),
        net.latitude,
        net.longitude,
        net.accuracy_km,
        net.asn,
        net.as_org,
        ip_prefix(signin.ip),
        net.anonymizer,
        net.corporate,
        net.internal,
        net.intel,
        signin.risk_level,
        signin.risk_event_types,
        signin.error_code,
    )
