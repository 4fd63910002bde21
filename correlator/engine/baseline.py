"""The user's baseline: first-seen times per attribute, so novelty does not depend on arrival order.

"Device first seen after the reset" compares the device's *first-seen event time* with the
change time, so it gives the same answer whichever of the two events was processed first.
"""

from __future__ import annotations

import bisect

from correlator.config import DAY_MS, DetectionConfig
from correlator.context import GeoPoint, Maturity, Profile, Seen, SignInFacts, known_before
from correlator.engine.join import insort_by_time

MAX_GEO_POINTS = 4

# The attributes a profile tracks, and how each is read off a sign-in.
ATTRIBUTES: tuple[str, ...] = ("devices", "countries", "asns", "prefixes", "agents", "offsets")


def learn(
    profile: Profile, facts: SignInFacts, config: DetectionConfig, *, locates: bool = True
) -> bool:
    """Fold a successful sign-in into the profile; True when a first-seen time moved earlier.

    ``locates`` is False for sign-ins whose position is not the user's (token refreshes from
    service IPs, VPN and corporate exits): they never become a travel reference point.
    """
    time, top_k = facts.time, config.top_k
    moved = False
    if facts.device_id:
        moved |= _touch(profile.devices, facts.device_id, time, top_k)
    if facts.agent:
        moved |= _touch(profile.agents, facts.agent, time, top_k)
    if not facts.internal:
        if facts.country:
            moved |= _touch(profile.countries, facts.country, time, top_k)
        if facts.asn is not None:
            moved |= _touch(profile.asns, str(facts.asn), time, top_k)
        if facts.prefix:
            moved |= _touch(profile.prefixes, facts.prefix, time, top_k)
    day = facts.time // DAY_MS
    profile.days[day] = profile.days.get(day, 0) + 1
    if facts.anonymizer and facts.prefix and not facts.corporate and "tor" not in facts.anonymizer:
        moved |= _add_exit_day(profile.exits, facts.prefix, day, top_k)
    if locates and facts.latitude is not None and facts.longitude is not None:
        _add_geo(profile, facts)
        moved |= _touch(profile.offsets, str(round(facts.longitude / 15)), time, top_k)
    return moved


def _touch(table: dict[str, Seen], value: str, time: int, top_k: int) -> bool:
    seen = table.get(value)
    if seen is None:
        table[value] = Seen(time, time)
        if len(table) > top_k:
            # Keep the values seen most recently; the stalest is the least useful baseline.
            stalest = min(table, key=lambda key: (table[key].last, key))
            del table[stalest]
        return True
    seen.count += 1
    if time > seen.last:
        seen.last = time
    if time < seen.first:
        seen.first = time
        return True
    return False


MAX_EXIT_DAYS = 8


def _add_exit_day(exits: dict[str, list[int]], prefix: str, day: int, top_k: int) -> bool:
    days = exits.setdefault(prefix, [])
    if day in days or (len(days) >= MAX_EXIT_DAYS and day > days[-1]):
        return False
    bisect.insort(days, day)
    del days[MAX_EXIT_DAYS:]
    if len(exits) > top_k:
        # Keep the exits used longest: a one-off hotel VPN goes before the daily one.
        newest = max(exits, key=lambda key: (exits[key][0], key))
        del exits[newest]
    return True


def _add_geo(profile: Profile, facts: SignInFacts) -> None:
    assert facts.latitude is not None and facts.longitude is not None
    point = GeoPoint(
        facts.time, facts.latitude, facts.longitude, facts.accuracy_km or 0.0, facts.country
    )
    insort_by_time(profile.geo, point)
    if len(profile.geo) > MAX_GEO_POINTS:
        del profile.geo[0]


def unfamiliar(profile: Profile, facts: SignInFacts, cutoff: int) -> bool:
    """Does the sign-in show a device, country or network the user had not used before?"""
    if facts.anonymizer or not facts.device_id:
        return True
    if not known_before(profile, "devices", facts.device_id, cutoff):
        return True
    if facts.internal or facts.corporate:
        return False
    return not known_before(profile, "countries", facts.country, cutoff) or (
        facts.asn is not None and not known_before(profile, "asns", str(facts.asn), cutoff)
    )


def maturity(profile: Profile, cutoff: int, config: DetectionConfig) -> Maturity:
    """History in the lookback before ``cutoff``: enough sign-ins on enough distinct days?"""
    first_day = (cutoff - config.baseline_lookback_days * DAY_MS) // DAY_MS
    last_day = cutoff // DAY_MS
    counts = [n for day, n in profile.days.items() if first_day <= day < last_day]
    total, days = sum(counts), len(counts)
    mature = total >= config.baseline_min_signins and days >= config.baseline_min_days
    return Maturity(total, days, mature)


def has_history(profile: Profile, cutoff: int) -> bool:
    return any(seen.first < cutoff for seen in profile.devices.values()) or any(
        seen.first < cutoff for seen in profile.countries.values()
    )


def trim(profile: Profile, now_ms: int, config: DetectionConfig) -> None:
    """Forget what fell out of the lookback (event time)."""
    horizon = now_ms - (config.baseline_lookback_days + 1) * DAY_MS
    horizon_day = horizon // DAY_MS
    for day in [d for d in profile.days if d < horizon_day]:
        del profile.days[day]
    for prefix in [p for p, days in profile.exits.items() if days[-1] < horizon_day]:
        del profile.exits[prefix]
    for attribute in ATTRIBUTES:
        table: dict[str, Seen] = getattr(profile, attribute)
        for value in [v for v, s in table.items() if s.last < horizon]:
            del table[value]
