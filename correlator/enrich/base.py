"""The enrichment interface the engine calls for every sign-in."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from correlator.model import SignIn


@runtime_checkable
class Enricher(Protocol):
    def enrich(self, signin: SignIn) -> SignIn:
        """The same sign-in with ``network`` filled; never raises for bad or missing IPs."""
        ...
