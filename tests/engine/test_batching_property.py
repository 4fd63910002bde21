"""Property: batch boundaries and a round trip through the store change no finding.

The stream hands the engine its events in batches, keeps decoded state in a bounded cache over
the store, writes the dirty users after each batch and reloads everything after a rebalance or
a rewind. None of that may show in the findings: the same events in the same order must give
the same findings, message for message, as one engine holding everything in memory.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.engine.engine import Engine
from correlator.engine.repository import CachedStates, MemoryStates
from correlator.model import Event, Finding
from correlator.state.memory import MemoryStore
from correlator.wiring import build_engine
from tests.engine.sim_events import simulated

Summary = tuple[str, str, int, int, int, tuple[str, ...]]


def summary(findings: Sequence[Finding]) -> list[Summary]:
    return [
        (
            f.uid,
            f.activity,
            f.revision,
            int(f.severity),
            f.score,
            tuple(f"{e.code}:{e.signin_id}" for e in f.evidence),
        )
        for f in findings
    ]


def in_one_go(events: Sequence[Event]) -> list[Summary]:
    tenant_settings, _ = simulated()
    return summary(build_engine(tenant_settings, states=MemoryStates()).process_many(events))


def in_batches(
    events: Sequence[Event], sizes: list[int], *, reload_every: int, max_cached: int
) -> list[Summary]:
    """As the correlate stage does it: prefetch, process, write back, evict; reload at times."""
    tenant_settings, _ = simulated()
    store = MemoryStore()
    states = CachedStates(store, max_cached=max_cached)
    engine: Engine = build_engine(tenant_settings, states=states)
    out: list[Finding] = []
    start, batch_no = 0, 0
    while start < len(events):
        size = sizes[batch_no % len(sizes)]
        batch = events[start : start + size]
        states.prefetch(engine.aliases.resolve(e.user) for e in batch)
        for event in batch:
            out += engine.process(event)
        store.write_batch(states.dirty_payload())
        states.mark_clean()
        states.evict_clean()
        start, batch_no = start + size, batch_no + 1
        if batch_no % reload_every == 0:
            states.forget()  # a rebalance or a rewind: everything comes back from the store
    return summary(out)


def test_the_tenant_produces_findings() -> None:
    _, events = simulated()
    found = in_one_go(events)
    assert sum(1 for s in found if s[3] >= 3) >= 2, "the simulated tenant holds real attacks"


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=8),
    reload_every=st.integers(1, 20),
    max_cached=st.integers(1, 30),
)
def test_batches_store_and_eviction_change_nothing(
    sizes: list[int], reload_every: int, max_cached: int
) -> None:
    _, events = simulated()
    expected = in_one_go(events)
    assert in_batches(events, sizes, reload_every=reload_every, max_cached=max_cached) == expected
