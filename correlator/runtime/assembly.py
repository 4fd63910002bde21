"""What every stream runtime builds the same way: the engines over their state, state metrics."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer

from correlator.config import Settings
from correlator.engine.engine import Engine
from correlator.engine.keyed import KEY_CODEC, KeyedEngine
from correlator.engine.repository import CachedStates, MemoryStates, state_horizon_ms
from correlator.metrics import JobMetrics, sampled_size
from correlator.runconfig import RunSettings
from correlator.runtime.align import Alignment
from correlator.state import StateStore, open_store, shared
from correlator.wiring import build_engine, build_keyed_engine


def build_user_engine(run: RunSettings, settings: Settings) -> tuple[Engine, StateStore | None]:
    """The per-user engine over the configured state, and the store behind it (None: memory)."""
    if run.state == "memory":
        # The embedded default keeps decoded state in a dict: nothing to encode per batch.
        horizon = state_horizon_ms(settings.detection)
        return build_engine(settings, states=MemoryStates(horizon_ms=horizon)), None
    store = open_store(run.state, namespace=run.group_id)
    return build_engine(settings, states=CachedStates(store)), store


def build_keyed(run: RunSettings, settings: Settings) -> tuple[KeyedEngine, StateStore | None]:
    """The keyed stages' engine, and its store (None: memory)."""
    if run.state == "memory":
        return build_keyed_engine(settings), None
    # Its own namespace: phone numbers and agents never share a key with a user.
    store = open_store(run.state, namespace=f"{run.group_id}.keyed")
    return build_keyed_engine(settings, states=CachedStates(store, codec=KEY_CODEC)), store


def track_state(metrics: JobMetrics, engine: Engine, store: StateStore | None) -> None:
    states = engine.states
    if isinstance(states, MemoryStates):
        metrics.track_state(lambda: sampled_size(states))
    elif store is not None:
        metrics.track_store(store.ping)
        metrics.track_state(lambda: (store.count(), store.size_bytes()))


def build_alignment(
    consumer: Consumer, run: RunSettings, settings: Settings, group: str, stage: str
) -> Alignment[Any]:
    """Records within a quarter of the lateness of each other, whatever order a backlog's
    fetches come in; with a shared store, also of the stage's other workers in ``group``
    (their progress on the board ``<group>:p:<stage>``, see ``runtime/progress.py``). Memory
    state means one worker."""
    ahead_ms = settings.detection.lateness_ms // 4
    if not shared(run.state):
        return Alignment(consumer, ahead_ms)
    # Imported here, as open_store does, so the embedded default never loads the Redis client.
    from correlator.runtime.progress import RedisProgress

    board = RedisProgress(run.state, f"{group}:p:{stage}")
    return Alignment(consumer, ahead_ms, progress=board)
