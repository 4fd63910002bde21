"""Property: within the lateness bound, arrival order does not change the final alerts.

Each event arrives after a lag: a per-kind lag (a whole topic behind, as after an outage or
an hourly helpdesk export) plus jitter (a lagging partition, Entra's minutes-late sign-ins),
together below the allowed lateness L. Then every record reaches the engine within L of its
user's newest event time, and the final alerts must be replay's: uid, severity and evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.model import Event, Finding
from correlator.wiring import build_engine
from tests.engine.sim_events import simulated

Final = dict[str, tuple[int, int, tuple[str, ...]]]
KINDS = ("SignIn", "CredentialChange", "CallRecord")


def final_alerts(events: Sequence[Event]) -> Final:
    tenant_settings, _ = simulated()
    latest: dict[str, Finding] = {}
    for finding in build_engine(tenant_settings).process_many(events):
        latest[finding.uid] = finding
    return {
        uid: (
            int(f.severity),
            f.score,
            tuple(sorted(f"{e.code}:{e.signin_id}" for e in f.evidence)),
        )
        for uid, f in latest.items()
        if f.activity != "close" and f.severity >= 3
    }


def arrival(events: Sequence[Event], kind_lag: dict[str, int], jitter: list[int]) -> list[Event]:
    lagged = [
        (e.time + kind_lag[type(e).__name__] + jitter[i % len(jitter)], i)
        for i, e in enumerate(events)
    ]
    return [events[i] for _, i in sorted(lagged)]


def test_replay_order_has_alerts() -> None:
    _, events = simulated()
    assert sum(1 for s, _, _ in final_alerts(events).values() if s >= 4) >= 2


@st.composite
def lags(draw: st.DrawFn) -> tuple[dict[str, int], list[int]]:
    bound = simulated()[0].detection.lateness_ms - 1
    kind_lag = {k: draw(st.integers(0, bound)) for k in KINDS}
    room = bound - max(kind_lag.values())
    jitter = draw(st.lists(st.integers(0, room), min_size=1, max_size=64))
    return kind_lag, jitter


@settings(max_examples=25, deadline=None, derandomize=True)
@given(lags())
def test_arrival_order_within_the_bound_gives_replays_alerts(
    lag: tuple[dict[str, int], list[int]],
) -> None:
    _, events = simulated()
    assert final_alerts(arrival(events, *lag)) == final_alerts(events)
