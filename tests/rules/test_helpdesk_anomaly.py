"""Table-driven cases for helpdesk-anomaly: odd changes one by one, and bursts per agent/tenant.

T0 is a Monday, 14:13 UTC (15:13 in London, 23:13 in Tokyo).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from correlator.config import DetectionConfig
from correlator.engine.engine import Engine
from correlator.engine.keyed import KeyedEngine
from correlator.model import Event, Finding, Severity
from correlator.rules import helpdesk_anomaly, helpdesk_burst
from tests.engine.builders import ABROAD, USER, change, history

NIGHT = 8 * 60  # minutes after T0: 22:13 UTC, 23:13 in London


def ticket(cid: str, minutes: float, number: str = "+447700900001", **extra: object) -> Event:
    fields: dict[str, object] = dict(caller_number=number, ticket_id=f"INC-{cid}")
    fields.update(caller_verified=True, verification_method="callback")
    fields.update(extra)
    event = change(cid, minutes, source="ticket", **fields)  # type: ignore[arg-type]
    return event


@dataclass(frozen=True)
class Case:
    name: str
    events: list[Event]
    expected: Severity | None
    codes: tuple[str, ...] = ()
    config: DetectionConfig = field(default_factory=DetectionConfig)


LONDON = DetectionConfig(default_timezone="Europe/London")
CASES = [
    Case("verified reset in working hours", history() + [ticket("t1", 0)], None),
    Case(
        "privileged target",
        history() + [ticket("t1", 0, privileged_target=True)],
        Severity.MEDIUM,
        ("helpdesk.privileged",),
    ),
    Case(
        "verification skipped",
        history() + [ticket("t1", 0, verification_method="none")],
        Severity.MEDIUM,
        ("helpdesk.verification",),
    ),
    Case(
        "verification failed, at night in the configured zone",
        history() + [ticket("t1", NIGHT, caller_verified=False)],
        Severity.HIGH,
        ("helpdesk.verification", "helpdesk.outside_hours"),
        LONDON,
    ),
    # The user's own zone, learned from where they sign in: 14:13 UTC is 23:13 in Tokyo.
    Case(
        "night where the user lives, day in UTC",
        history(network=ABROAD) + [ticket("t1", 0)],
        Severity.MEDIUM,
        ("helpdesk.outside_hours",),
    ),
    # A configured zone for the user wins over the sign-ins.
    Case(
        "configured user zone",
        history(network=ABROAD) + [ticket("t1", 0)],
        None,
        config=DetectionConfig(user_timezones={USER: "Europe/London"}),
    ),
    # One account, two callers within three days: the second asks at night without checks.
    Case(
        "different callers, night, skipped",
        history()
        + [ticket("t1", -60), ticket("t2", NIGHT, "+15550142", verification_method="none")],
        Severity.HIGH,
        ("helpdesk.callers", "helpdesk.outside_hours", "helpdesk.verification"),
        LONDON,
    ),
    # Look-alike: a self-service reset at night is nobody else's doing.
    Case(
        "own reset at night",
        history() + [change("s1", NIGHT, "self_service_reset", by_other=False)],
        None,
        config=LONDON,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_change_case(case: Case) -> None:
    engine = Engine(case.config, rules=[helpdesk_anomaly.RULE])
    published = {f.uid: f for f in engine.process_many(case.events)}
    if case.expected is None:
        assert published == {}, [f.summary for f in published.values()]
        return
    assert len(published) == 1
    finding = next(iter(published.values()))
    assert finding.rule_id == "helpdesk-anomaly" and finding.severity == case.expected
    assert set(case.codes) <= {e.code for e in finding.evidence}, finding.summary


AGENT = "agent7@northwind.test"


def resets(count: int, every: float, *, agent: str = AGENT, start: float = 0,
           **extra: object) -> list[Event]:  # fmt: skip
    """``count`` accounts reset by one agent, ``every`` minutes apart (audit + ticket each)."""
    events: list[Event] = []
    for i in range(count):
        user, at = f"u{i}-{agent}", start + i * every
        events.append(change(f"a{i}-{agent}", at, user=user, actor=agent, **extra))  # type: ignore[arg-type]
        events.append(change(f"p{i}-{agent}", at + 0.1, user=user, actor=agent))
    return events


BURSTS = [
    Case("five accounts in 40 min", resets(5, 10), Severity.MEDIUM, ("helpdesk.burst",)),
    Case("ten accounts in 45 min", resets(10, 5), Severity.HIGH),
    Case(
        "five with a privileged account",
        resets(4, 10)
        + [change("px", 45, user="root@northwind.test", actor=AGENT, privileged_target=True)],
        Severity.HIGH,
    ),
    # Across a clock hour (10:40-11:20 style): a fixed hourly bin would count 3 and 2.
    Case("across the hour", resets(5, 10, start=-33), Severity.MEDIUM),
    # Look-alike: a busy day, a dozen resets spread over eight hours.
    Case("busy Monday", resets(12, 40), None),
    # Look-alike: one account's ticket and audit records are one reset, however many records.
    Case(
        "one account, many records",
        [change(f"r{i}", i, user="bob@northwind.test") for i in range(6)],
        None,
    ),
    # Across the tenant: four agents, three accounts each, in 50 minutes.
    Case(
        "tenant-wide",
        [e for n in range(4) for e in resets(3, 15, agent=f"agent{n}@x.test", start=n * 3)],
        Severity.MEDIUM,
    ),
]


def run_keyed(events: list[Event]) -> dict[str, Finding]:
    config = DetectionConfig()
    engine, keyed = (
        Engine(config, rules=[helpdesk_burst.RULE]),
        KeyedEngine(config, [helpdesk_burst.RULE]),
    )
    latest: dict[str, Finding] = {}
    for event in events:
        engine.process(event)
        for item in engine.take_forwards():
            latest.update((f.uid, f) for f in keyed.process(item))
    return latest


@pytest.mark.parametrize("case", BURSTS, ids=[c.name for c in BURSTS])
def test_burst_case(case: Case) -> None:
    published = run_keyed(case.events)
    if case.expected is None:
        assert published == {}, [f.summary for f in published.values()]
        return
    assert len(published) == 1, [f.summary for f in published.values()]
    finding = next(iter(published.values()))
    assert finding.severity == case.expected, finding.summary
    assert set(case.codes) <= {e.code for e in finding.evidence}
