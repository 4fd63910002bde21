"""Topic names: the raw inputs, the canonical events, the alerts and the dead letters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    signins: str = "entra.signins"
    audits: str = "entra.audits"
    tickets: str = "helpdesk.tickets"
    calls: str = "calls.records"
    vpn: str = "vpn.auth"
    events: str = "correlator.events"
    keyed: str = "correlator.keyed"  # forwarded to the keyed stages, keyed by number/agent
    alerts: str = "correlator.alerts"
    dlq: str = "correlator.dlq"
    actions: str = "correlator.actions"  # what the responder did or withheld, per finding

    @property
    def raw(self) -> tuple[str, ...]:
        return (self.signins, self.audits, self.tickets, self.calls, self.vpn)

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.raw, self.events, self.keyed, self.alerts, self.dlq, self.actions)
