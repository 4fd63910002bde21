"""What every runtime builds the same way: the engine over its state, and its state metrics."""

from __future__ import annotations

from correlator.config import Settings
from correlator.engine.engine import Engine
from correlator.engine.repository import CachedStates, MemoryStates
from correlator.metrics import JobMetrics, sampled_size
from correlator.runconfig import RunSettings
from correlator.state import StateStore, open_store
from correlator.wiring import build_engine


def build_stateful_engine(run: RunSettings, settings: Settings) -> tuple[Engine, StateStore | None]:
    """The engine over the configured state, and the store behind it (None for memory)."""
    if run.state == "memory":
        # The embedded default keeps decoded state in a dict: nothing to encode per batch.
        return build_engine(settings, states=MemoryStates()), None
    store = open_store(run.state, namespace=run.group_id)
    return build_engine(settings, states=CachedStates(store)), store


def track_state(metrics: JobMetrics, engine: Engine, store: StateStore | None) -> None:
    states = engine.states
    if isinstance(states, MemoryStates):
        metrics.track_state(lambda: sampled_size(states))
    elif store is not None:
        metrics.track_store(store.ping)
        metrics.track_state(lambda: (store.count(), store.size_bytes()))
