"""Canonical events of a small simulated tenant, for property tests on the pure engine."""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path

from correlator.config import Settings, load_settings
from correlator.errors import InvalidRecord
from correlator.model import Event
from correlator.normalize import Normalizer, event_order
from correlator.simulate import SimulationConfig, simulate, write_simulation


@functools.cache
def simulated(
    users: int = 40, days: int = 14, seed: int = 5, attacks: int = 8
) -> tuple[Settings, tuple[Event, ...]]:
    """The tenant's settings and its events in replay (event-time) order."""
    sim = simulate(SimulationConfig(users=users, days=days, seed=seed, attacks=attacks))
    directory = Path(tempfile.mkdtemp(prefix="sim-events-"))
    write_simulation(sim, directory)
    normalizer = Normalizer(max_future_ms=10**12)
    now = int(time.time() * 1000)
    events: list[Event] = []
    for record in [*sim.signins, *sim.audits, *sim.tickets, *sim.calls]:
        try:
            events += normalizer.normalize(record, now)
        except InvalidRecord:
            continue
    events.sort(key=event_order)
    return load_settings(directory / "correlator.yaml"), tuple(events)
