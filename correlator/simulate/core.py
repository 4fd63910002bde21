"""``simulate(config)``: a whole synthetic tenant's logs, deterministic for a seed."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from correlator.simulate.activity import background
from correlator.simulate.attacks import run_attacks
from correlator.simulate.callback import (
    ALLOWED_NUMBERS,
    callback_consent,
    callback_phishing,
    conference_line,
    vendor_line,
)
from correlator.simulate.chains import run_patterns
from correlator.simulate.lookalikes import (
    corporate_vpn_after_reset,
    failed_attack,
    forgot_password,
    new_laptop_after_reset,
    prepare_new_hire,
    prepare_traveller,
    self_service_reset,
)
from correlator.simulate.network import GeoData
from correlator.simulate.routine import routine_changes
from correlator.simulate.tenant import build_tenant
from correlator.simulate.vpn import routine_vpn_logins, vpn_after_reset, vpn_aliases, vpn_lookalike
from correlator.simulate.world import World

DEFAULT_START = datetime(2026, 10, 1, tzinfo=UTC)  # fixed, not the wall clock: reproducible


@dataclass(frozen=True)
class SimulationConfig:
    users: int = 200
    days: int = 14
    seed: int = 7
    start: datetime | None = None  # midnight UTC of day 0; DEFAULT_START when None
    attacks: int | None = None  # None: max(3, users // 50), so every attack variant appears
    lookalikes: bool = True  # scripted look-alikes and routine benign credential changes
    patterns: bool = True  # the detections beyond the join (vishing chain...) and look-alikes
    noninteractive_ratio: float = 3.0  # token refreshes per interactive sign-in, on average
    # VPN gateway logins (syslog) and a VPN look-alike; with ``attacks`` None, a VPN takeover.
    vpn: bool = True
    # Callback phishing (with ``attacks`` None) and its outbound-call look-alikes.
    callbacks: bool = True

    def __post_init__(self) -> None:
        if self.users < 1 or self.days < 1:
            raise ValueError(f"users ({self.users}) and days ({self.days}) must be at least 1")
        if self.attacks is not None and self.attacks < 0:
            raise ValueError(f"attacks must be 0 or more, not {self.attacks}")
        if self.noninteractive_ratio < 0:
            raise ValueError("noninteractive_ratio must be 0 or more")
        if self.start is not None and self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")

    @property
    def attack_count(self) -> int:
        return max(3, self.users // 50) if self.attacks is None else self.attacks


@dataclass
class Simulation:
    signins: list[dict[str, Any]]
    audits: list[dict[str, Any]]
    tickets: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    labels: list[dict[str, Any]]
    geo: GeoData
    corporate: dict[str, list[Any]]
    tenant_id: str = ""
    domain: str = ""
    users: list[dict[str, Any]] = field(default_factory=list)  # the directory, for alias maps
    vpn: list[str] = field(default_factory=list)  # VPN gateway syslog lines, oldest first
    aliases: dict[str, str] = field(default_factory=dict)  # VPN short names -> UPN
    allowed_numbers: tuple[str, ...] = ()  # help lines and vendors the tenant allow-lists


def _start_ms(config: SimulationConfig) -> int:
    start = config.start or DEFAULT_START
    day = int(start.timestamp()) // 86_400
    return day * 86_400_000  # snapped to midnight UTC so "workday" means the same everywhere


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # Generation allocates millions of small dicts that all stay alive to the end; the cyclic
    # collector would rescan them again and again for nothing (it doubles the run time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def simulate(config: SimulationConfig) -> Simulation:
    """Generate the tenant's sign-ins, audits, tickets, calls and ground-truth labels."""
    with _no_cyclic_gc():
        return _simulate(config)


def _simulate(config: SimulationConfig) -> Simulation:
    rng = random.Random(config.seed)
    tenant = build_tenant(rng, config.users, config.days)
    w = World(rng=rng, tenant=tenant, start=_start_ms(config), days=config.days)
    finishers = [prepare_traveller(w), prepare_new_hire(w)] if config.lookalikes else []
    background(w, config.noninteractive_ratio)
    run_attacks(w, config.attack_count)
    if config.lookalikes:
        for scenario in (
            forgot_password,
            self_service_reset,
            corporate_vpn_after_reset,
            new_laptop_after_reset,
            failed_attack,
        ):
            scenario(w)
        for finish in finishers:
            finish()
        routine_changes(w)
    if config.vpn:
        _vpn(w, config)
    if config.callbacks:
        _callbacks(w, config)
    if config.patterns:
        run_patterns(w)
    return _collect(w)


def _vpn(w: World, config: SimulationConfig) -> None:
    # After the core scenarios, so that their records stay what they were without it.
    routine_vpn_logins(w)
    if config.attacks is None:  # an explicit count is the Entra attacks' count, exactly
        vpn_after_reset(w)
    if config.lookalikes:
        vpn_lookalike(w)


def _callbacks(w: World, config: SimulationConfig) -> None:
    if config.attacks is None:
        callback_phishing(w)
    if config.lookalikes:
        conference_line(w)
        vendor_line(w)
    if config.attacks is None:  # after the look-alikes, which keep the records they had
        callback_consent(w)


def _collect(w: World) -> Simulation:
    # Sorted by event time; the writer reorders per output (Graph pages are newest-first).
    w.signins.sort(key=lambda r: r["createdDateTime"])
    w.audits.sort(key=lambda r: r["activityDateTime"])
    w.tickets.sort(key=lambda r: r["time"])
    w.calls.sort(key=lambda r: r["startDateTime"])
    w.vpn.sort(key=lambda entry: entry[0])
    users = [
        {
            "id": u.id,
            "userPrincipalName": u.upn,
            "displayName": u.name,
            "office": u.site.name,
            "department": u.department,
            "privileged": u.privileged,
            "helpdesk": u.helpdesk,
        }
        for u in w.tenant.users
    ]
    return Simulation(
        signins=w.signins,
        audits=w.audits,
        tickets=w.tickets,
        calls=w.calls,
        labels=w.labels,
        geo=GeoData(w.tenant.plan.networks()),
        corporate=w.tenant.plan.corporate(),
        tenant_id=w.tenant.id,
        domain=w.tenant.domain,
        users=users,
        vpn=[line for _, line in w.vpn],
        aliases=vpn_aliases(w) if w.vpn else {},
        allowed_numbers=ALLOWED_NUMBERS if _vendor_line(w) else (),
    )


def _vendor_line(w: World) -> bool:
    return any(label["scenario"] == "vendor_support_line" for label in w.labels)
