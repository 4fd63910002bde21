"""Learned corporate egress: networks many distinct users of the tenant sign in from.

A shared VPN, SASE or proxy exit nobody declared looks new to each user once, and is not
evidence of anything. ``correlator learn-egress`` reads exported sign-ins, counts the distinct
users per ASN and per /24 (/48), and writes the networks that reach ``min_users`` to a file the
configuration names (``learned_egress``); replay and the stream then read the same list, so
they agree, and every worker of a scaled-out job has it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from correlator.context import SignInFacts


class EgressLearner:
    def __init__(self) -> None:
        self._asns: dict[int, set[str]] = defaultdict(set)
        self._prefixes: dict[str, set[str]] = defaultdict(set)
        self._orgs: dict[int, str] = {}

    def observe(self, user: str, facts: SignInFacts) -> None:
        """Successful interactive sign-ins from outside the declared corporate egress."""
        if not (facts.success and facts.interactive) or facts.corporate or facts.internal:
            return
        if facts.asn is not None:
            self._asns[facts.asn].add(user)
            if facts.as_org:
                self._orgs[facts.asn] = facts.as_org
        if facts.prefix:
            self._prefixes[facts.prefix].add(user)

    def observe_all(self, pairs: Iterable[tuple[str, SignInFacts]]) -> None:
        for user, facts in pairs:
            self.observe(user, facts)

    def learned(self, min_users: int) -> dict[str, dict[str, int]]:
        """``{"asns": {asn: users}, "prefixes": {prefix: users}}`` at or above ``min_users``."""
        asns = {str(a): len(u) for a, u in sorted(self._asns.items()) if len(u) >= min_users}
        prefixes = {p: len(u) for p, u in sorted(self._prefixes.items()) if len(u) >= min_users}
        return {"asns": asns, "prefixes": prefixes}
