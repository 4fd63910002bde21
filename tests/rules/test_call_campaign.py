"""Table-driven cases for call-campaign: one number, many employees, then a takeover."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from msgspec.structs import replace

from correlator.config import DetectionConfig
from correlator.engine.engine import Engine
from correlator.engine.keyed import KeyedEngine
from correlator.model import Event, Finding, Severity
from correlator.rules.call_campaign import RULE
from tests.engine.builders import ATTACKER, call, change, history, signin

NUMBER, BAD = "+15550100", "+15550199"
CONFIG = DetectionConfig(known_bad_numbers=(BAD,))
STRANGER = dict(network=ATTACKER, device=None, browser="Chrome 124", os="MacOs", ip="203.0.113.9")


def ring(n: int, start: float = 0, gap: float = 10, number: str = NUMBER) -> list[Event]:
    """``n`` employees called one after another, ``gap`` minutes apart."""
    return [call(f"c{i}", start + i * gap, number, user=f"u{i}@northwind.test") for i in range(n)]


def ticket_for(user: str, minutes: float, number: str = NUMBER) -> Event:
    return change("t1", minutes, user=user, source="ticket", caller_number=number, ticket_id="INC1")


@dataclass(frozen=True)
class Case:
    name: str
    events: list[Event]
    expected: Severity | None
    codes: tuple[str, ...] = ()


U1 = "u1@northwind.test"
CASES = [
    # Three employees in half an hour: a campaign, nothing more yet.
    Case("three callees in the window", ring(3), Severity.MEDIUM, ("campaign.callees",)),
    # ... then one of them has a password reset by the helpdesk: escalated.
    Case(
        "callee then reset",
        ring(3) + [change("r1", 120, user=U1)],
        Severity.HIGH,
        ("campaign.callee",),
    ),
    # ... or signs in from a stranger's device and network.
    Case(
        "callee then stranger sign-in",
        history(user=U1) + ring(3) + [signin("x1", 90, user=U1, **STRANGER)],  # type: ignore[arg-type]
        Severity.HIGH,
        ("campaign.callee",),
    ),
    # ... or the number rings the service desk and a ticket names it as the caller.
    Case(
        "ticket names the number",
        ring(3) + [ticket_for(U1, 60)],
        Severity.HIGH,
        ("campaign.ticket",),
    ),
    # A known vishing number is flagged even for one call; escalated, it is Critical.
    Case("known-bad, one call", ring(1, number=BAD), Severity.MEDIUM, ("call.known_bad",)),
    Case(
        "known-bad, then reset",
        ring(1, number=BAD) + [change("r1", 30, user="u0@northwind.test")],
        Severity.CRITICAL,
    ),
    # Look-alike: a conference bridge rings everyone at the same minute.
    Case("conference bridge", ring(8, gap=0.2) + [change("r1", 120, user=U1)], None),
    # Look-alike: three callees spread over three hours (the window slides, it does not bin).
    Case("spread over hours", ring(3, gap=90), None),
    # Look-alike: one employee called back and forth is not many employees.
    Case(
        "one callee, many calls",
        [call(f"c{i}", i * 5, NUMBER, user=U1) for i in range(5)],
        None,
    ),
    # Look-alike: internal calls (the record says so, whatever the number).
    Case("internal calls", [replace(c, external=False) for c in ring(4)], None),  # type: ignore[type-var]
]


def run(events: list[Event]) -> dict[str, Finding]:
    engine, keyed = Engine(CONFIG, rules=[RULE]), KeyedEngine(CONFIG, [RULE])
    latest: dict[str, Finding] = {}
    for event in events:
        assert engine.process(event) == []  # a keyed rule publishes only from the keyed stage
        for item in engine.take_forwards():
            latest.update((f.uid, f) for f in keyed.process(item))
    return {uid: f for uid, f in latest.items() if f.activity != "close"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    published = run(case.events)
    if case.expected is None:
        assert published == {}, [f.summary for f in published.values()]
        return
    assert len(published) == 1, [f.summary for f in published.values()]
    finding = next(iter(published.values()))
    assert finding.rule_id == "call-campaign" and finding.observables.phone_numbers
    assert finding.severity == case.expected, finding.summary
    assert set(case.codes) <= {e.code for e in finding.evidence}


def test_late_first_call_moves_the_anchor_and_closes_the_old_finding() -> None:
    events = ring(4) + [change("r1", 120, user=U1)]
    reference = run(events)
    late_first = events[1:] + events[:1]  # the first call of the campaign arrives last
    engine, keyed = Engine(CONFIG, rules=[RULE]), KeyedEngine(CONFIG, [RULE])
    published: list[Finding] = []
    for event in late_first:
        engine.process(event)
        for item in engine.take_forwards():
            published += keyed.process(item)
    assert any(f.activity == "close" for f in published)  # the scenario: the anchor moved
    final = {f.uid: f for f in published}
    open_ = {uid: f.severity for uid, f in final.items() if f.activity != "close"}
    assert open_ == {uid: f.severity for uid, f in reference.items()}
