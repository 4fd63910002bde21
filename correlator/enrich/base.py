"""The enrichment interface the engine calls for every sign-in."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from correlator.model import NetworkInfo, SignIn


@runtime_checkable
class Enricher(Protocol):
    def network(self, signin: SignIn) -> NetworkInfo:
        """What is known of the sign-in's address (its log's location filling the gaps);
        never raises for bad or missing IPs. The engine reads this rather than a copy of the
        sign-in with ``network`` filled: one 37-field copy less per sign-in."""
        ...
