"""Determinism, scaling and configuration checks of ``simulate``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from correlator.simulate import DEFAULT_START, SimulationConfig, simulate


def test_same_seed_same_output() -> None:
    config = SimulationConfig(users=30, days=6, seed=3)
    a, b = simulate(config), simulate(config)
    assert a.signins == b.signins and a.audits == b.audits and a.tickets == b.tickets
    assert a.calls == b.calls and a.labels == b.labels and a.corporate == b.corporate


def test_other_seed_other_output() -> None:
    a = simulate(SimulationConfig(users=30, days=6, seed=3))
    b = simulate(SimulationConfig(users=30, days=6, seed=4))
    assert a.signins != b.signins


def test_default_start_is_fixed_not_the_clock() -> None:
    sim = simulate(SimulationConfig(users=20, days=5))
    assert min(r["createdDateTime"] for r in sim.signins) >= "2026-09-30"
    assert datetime(2026, 10, 1, tzinfo=UTC) == DEFAULT_START


def test_start_moves_the_period() -> None:
    start = datetime(2025, 3, 3, tzinfo=UTC)
    sim = simulate(SimulationConfig(users=20, days=5, start=start, lookalikes=False))
    assert all(r["createdDateTime"].startswith("2025-03") for r in sim.signins)


def _count(users: int, days: int) -> int:
    return len(simulate(SimulationConfig(users=users, days=days, lookalikes=False)).signins)


def test_volume_scales_linearly_with_users_and_days() -> None:
    base = _count(40, 14)
    assert 1.6 < _count(80, 14) / base < 2.4
    assert 1.6 < _count(40, 28) / base < 2.4


def test_noninteractive_ratio_controls_refreshes() -> None:
    def share(ratio: float) -> float:
        sim = simulate(SimulationConfig(users=30, days=7, noninteractive_ratio=ratio))
        return sum(not r["isInteractive"] for r in sim.signins) / len(sim.signins)

    assert share(1.0) < share(5.0)


def test_attack_count() -> None:
    sim = simulate(SimulationConfig(users=40, days=10, attacks=5, lookalikes=False, patterns=False))
    assert sum(label["kind"] == "attack" for label in sim.labels) == 5
    assert all(label["kind"] == "attack" for label in sim.labels)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"users": 0},
        {"days": 0},
        {"attacks": -1},
        {"noninteractive_ratio": -1.0},
        {"start": datetime(2026, 1, 1)},
    ],
)
def test_invalid_config(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        SimulationConfig(**kwargs)


def test_patterns_come_with_their_look_alikes_and_leave_the_rest_alone() -> None:
    config = SimulationConfig(users=40, days=10, seed=2)
    full, bare = (
        simulate(config),
        simulate(SimulationConfig(users=40, days=10, seed=2, patterns=False)),
    )
    extra = full.labels[len(bare.labels) :]
    assert full.labels[: len(bare.labels)] == bare.labels
    assert {label["kind"] for label in extra} == {"attack", "lookalike"}
    assert all("detections" in label for label in extra)
    assert {r["id"] for r in bare.signins} < {r["id"] for r in full.signins}
