"""Property: on a simulated tenant, what a SIEM ends up holding does not depend on arrival order.

Both stages are driven (the user engine, and the keyed engine on what it forwards). Each raw
source and user shard lags by its own delay inside the lateness, as partitions of a live feed
do; the last version of every finding must then say exactly what replay's says: the whole
alert content, not only its severity.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlator.config import HOUR_MS, Settings
from correlator.engine.keyed import KeyedEngine, KeyedTooLate
from correlator.keyed import KeyedEvent
from correlator.model import CallRecord, Event, Finding
from correlator.wiring import build_engine, build_keyed_engine
from tests.engine.sim_events import simulated

SHARDS = 3


def final(settings_: Settings, events: Sequence[Event]) -> dict[str, Finding]:
    engine, keyed = build_engine(settings_), build_keyed_engine(settings_)
    latest: dict[str, Finding] = {}
    for event in events:
        found = engine.process(event)
        for item in engine.take_forwards():
            found += keyed.process(item)
        latest.update((f.uid, f) for f in found)
    # Which revision it is depends on how often it changed on the way; what it says must not.
    return {
        uid: msgspec.structs.replace(f, activity="create", revision=1)
        for uid, f in latest.items()
        if f.activity != "close" and f.severity >= engine.config.publish_min_severity
    }


@pytest.fixture(scope="module")
def tenant() -> tuple[Settings, tuple[Event, ...], dict[str, Finding]]:
    settings_, events = simulated()
    return settings_, events, final(settings_, events)


def test_the_tenant_has_keyed_and_user_findings(
    tenant: tuple[Settings, tuple[Event, ...], dict[str, Finding]],
) -> None:
    rules = {f.rule_id for f in tenant[2].values()}
    assert "ato-after-credential-change" in rules
    assert rules & {"call-campaign", "callback-campaign", "helpdesk-anomaly"}


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), max_lag_h=st.sampled_from([1, 4, 12]))
def test_partition_lag_within_the_lateness_changes_nothing(
    tenant: tuple[Settings, tuple[Event, ...], dict[str, Finding]],
    seed: int,
    max_lag_h: int,
) -> None:
    settings_, events, expected = tenant
    dice = random.Random(seed)
    lag: dict[tuple[str, int], int] = {}

    def arrival(event: Event) -> int:
        shard = (type(event).__name__, hash(event.user) % SHARDS)
        return event.time + lag.setdefault(shard, dice.randrange(max_lag_h * HOUR_MS))

    arrived = sorted(events, key=arrival)
    assert final(settings_, arrived) == expected


def test_a_keyed_event_beyond_the_horizon_is_refused(
    tenant: tuple[Settings, tuple[Event, ...], dict[str, Finding]],
) -> None:
    settings_ = tenant[0]
    keyed: KeyedEngine = build_keyed_engine(settings_)
    base = 1_790_000_000_000

    def ring(call_id: str, at: int) -> KeyedEvent:
        call = CallRecord(
            id=call_id, user="ann@example.test", start=at, end=at + 60_000,
            caller_number="+15550100", external=True, direction="inbound",
        )  # fmt: skip
        return KeyedEvent("number:+15550100", call)

    keyed.process(ring("new", base))
    with pytest.raises(KeyedTooLate) as refused:
        keyed.process(ring("old", base - keyed.horizon_ms - 1))
    assert refused.value.reason == "too_late" and "behind the key's newest" in refused.value.detail
    assert keyed.process(ring("edge", base - keyed.horizon_ms)) == []  # inside: stored
