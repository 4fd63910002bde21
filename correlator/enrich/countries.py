"""English names and continents for the countries synthetic GeoIP data is likely to use.

Only the ``.mmdb`` builder needs this: MaxMind records carry the country name and continent
next to the ISO code. Codes not listed get the code as name and the continent the caller gives.
"""

from __future__ import annotations

CONTINENT_NAMES: dict[str, str] = {
    "AF": "Africa",
    "AN": "Antarctica",
    "AS": "Asia",
    "EU": "Europe",
    "NA": "North America",
    "OC": "Oceania",
    "SA": "South America",
}

# ISO 3166-1 alpha-2 -> (English name, continent code)
COUNTRIES: dict[str, tuple[str, str]] = {
    "AE": ("United Arab Emirates", "AS"),
    "AR": ("Argentina", "SA"),
    "AT": ("Austria", "EU"),
    "AU": ("Australia", "OC"),
    "BE": ("Belgium", "EU"),
    "BG": ("Bulgaria", "EU"),
    "BR": ("Brazil", "SA"),
    "BY": ("Belarus", "EU"),
    "CA": ("Canada", "NA"),
    "CH": ("Switzerland", "EU"),
    "CL": ("Chile", "SA"),
    "CN": ("China", "AS"),
    "CO": ("Colombia", "SA"),
    "CZ": ("Czechia", "EU"),
    "DE": ("Germany", "EU"),
    "DK": ("Denmark", "EU"),
    "EG": ("Egypt", "AF"),
    "ES": ("Spain", "EU"),
    "FI": ("Finland", "EU"),
    "FR": ("France", "EU"),
    "GB": ("United Kingdom", "EU"),
    "GR": ("Greece", "EU"),
    "HK": ("Hong Kong", "AS"),
    "HU": ("Hungary", "EU"),
    "ID": ("Indonesia", "AS"),
    "IE": ("Ireland", "EU"),
    "IL": ("Israel", "AS"),
    "IN": ("India", "AS"),
    "IR": ("Iran", "AS"),
    "IT": ("Italy", "EU"),
    "JP": ("Japan", "AS"),
    "KE": ("Kenya", "AF"),
    "KP": ("North Korea", "AS"),
    "KR": ("South Korea", "AS"),
    "LU": ("Luxembourg", "EU"),
    "MX": ("Mexico", "NA"),
    "MY": ("Malaysia", "AS"),
    "NG": ("Nigeria", "AF"),
    "NL": ("Netherlands", "EU"),
    "NO": ("Norway", "EU"),
    "NZ": ("New Zealand", "OC"),
    "PH": ("Philippines", "AS"),
    "PK": ("Pakistan", "AS"),
    "PL": ("Poland", "EU"),
    "PT": ("Portugal", "EU"),
    "RO": ("Romania", "EU"),
    "RU": ("Russia", "EU"),
    "SA": ("Saudi Arabia", "AS"),
    "SE": ("Sweden", "EU"),
    "SG": ("Singapore", "AS"),
    "TH": ("Thailand", "AS"),
    "TR": ("Türkiye", "AS"),
    "TW": ("Taiwan", "AS"),
    "UA": ("Ukraine", "EU"),
    "US": ("United States", "NA"),
    "VN": ("Vietnam", "AS"),
    "ZA": ("South Africa", "AF"),
}

# fmt: off
EU_MEMBERS: frozenset[str] = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# fmt: on
