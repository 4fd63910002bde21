"""Shared state while one simulation runs: the tenant, the random source and the outputs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from correlator.simulate.formats import Sign, SignInContext, signin_record
from correlator.simulate.tenant import Tenant

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000


@dataclass
class World:
    rng: random.Random
    tenant: Tenant
    start: int  # epoch ms of day 0, 00:00 UTC
    days: int
    ctx: SignInContext | None = None
    signins: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    vpn: list[tuple[int, str]] = field(default_factory=list)  # (time, syslog line)
    busy: set[str] = field(default_factory=set)  # users a scenario already claimed

    def __post_init__(self) -> None:
        if self.ctx is None:
            self.ctx = SignInContext.create(self.rng, self.tenant.id)

    @property
    def end(self) -> int:
        return self.start + self.days * DAY_MS

    def sign(self, s: Sign) -> str:
        """Record one sign-in and return its id."""
        assert self.ctx is not None
        record = signin_record(self.rng, self.ctx, s)
        self.signins.append(record)
        return str(record["id"])

    def add_audits(self, records: list[dict[str, Any]]) -> list[str]:
        self.audits.extend(records)
        return [str(r["id"]) for r in records]

    def add_ticket(self, record: dict[str, Any]) -> str:
        self.tickets.append(record)
        return str(record["id"])

    def add_call(self, record: dict[str, Any]) -> str:
        self.calls.append(record)
        return str(record["id"])

    def local(self, day: int, hour: float, utc_offset: int) -> int:
        """Epoch ms of a local wall-clock time on a simulated day."""
        return self.start + day * DAY_MS + int((hour - utc_offset) * HOUR_MS)

    def is_workday(self, day: int) -> bool:
        return (self.start // DAY_MS + day + 3) % 7 < 5  # 1970-01-01 was a Thursday
