"""Sign-in enrichment: geo-IP, ASN, anonymizer flags, corporate egress and intel lists."""

from correlator.enrich.base import Enricher
from correlator.enrich.geoip import DEFAULT_GEOIP_DIR, GeoIpEnricher
from correlator.enrich.networks import CorporateNetworks, IntelLists, is_internal, parse_ip

__all__ = [
    "DEFAULT_GEOIP_DIR",
    "CorporateNetworks",
    "Enricher",
    "GeoIpEnricher",
    "IntelLists",
    "is_internal",
    "parse_ip",
]
