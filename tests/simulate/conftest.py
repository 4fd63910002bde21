"""One small simulation shared by the simulator's tests (generation is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.simulate import Simulation, SimulationConfig, simulate, write_simulation

SMALL = SimulationConfig(users=60, days=10, seed=11)


@pytest.fixture(scope="session")
def sim() -> Simulation:
    return simulate(SMALL)


@pytest.fixture(scope="session")
def written(sim: Simulation, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sim")
    return out, write_simulation(sim, out, page_size=500)
