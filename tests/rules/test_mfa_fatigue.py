"""Table-driven cases for mfa-fatigue: prompt after prompt refused, then approved."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from msgspec.structs import replace

from correlator.config import DetectionConfig
from correlator.engine.engine import Engine
from correlator.model import Event, Finding, Severity, SignIn
from correlator.rules.mfa_fatigue import RULE
from tests.engine.builders import ATTACKER, HOME, history, signin

DECLINED = "MFA denied; user declined the authentication"
NO_ANSWER = "MFA denied; user did not respond to mobile app notification"
STRANGER = dict(network=ATTACKER, device=None, browser="Chrome 124", os="MacOs", ip="203.0.113.9")


def refused(
    sid: str, minutes: float, detail: str = DECLINED, code: int = 500121, **kw: object
) -> SignIn:
    base = signin(sid, minutes, success=False, **kw)  # type: ignore[arg-type]
    return replace(base, error_code=code, failure_detail=detail)


def burst(count: int, start: float = 0, detail: str = DECLINED, **kw: object) -> list[SignIn]:
    return [refused(f"d{i}", start + i * 2, detail, **kw) for i in range(count)]


@dataclass(frozen=True)
class Case:
    name: str
    events: list[Event]
    expected: Severity | None
    codes: tuple[str, ...] = ()


CASES = [
    # The attack: eight declined pushes from the attacker's VPN, then an approval from there.
    Case(
        "declined pushes, approval from a stranger's network",
        history() + burst(8, **STRANGER) + [signin("ok", 18, **STRANGER)],
        Severity.HIGH,
        ("fatigue.denials", "fatigue.unfamiliar"),
    ),
    # Unanswered prompts (timeouts) count as much as declines; 50074 with the same detail too.
    Case(
        "unanswered prompts",
        history()
        + burst(3, detail=NO_ANSWER, **STRANGER)
        + [refused("e1", 7, NO_ANSWER, 50074, **STRANGER), refused("e2", 8, NO_ANSWER, **STRANGER)]
        + [signin("ok", 12, **STRANGER)],
        Severity.HIGH,
    ),
    # Look-alike: one legitimate timeout, then the user approves from their own laptop at home.
    Case(
        "one timeout then approval at home",
        history() + [refused("t1", 0, NO_ANSWER), signin("ok", 2, network=HOME)],
        None,
    ),
    # Look-alike: many refusals from the user's own laptop and home (fumbling a new phone):
    # worth a look, never High.
    Case(
        "many refusals, familiar device and network",
        history() + burst(6) + [signin("ok", 14, network=HOME)],
        Severity.MEDIUM,
    ),
    # Look-alike: wrong passwords are not MFA prompts.
    Case(
        "bad passwords",
        history()
        + [signin(f"p{i}", i, success=False, **STRANGER) for i in range(8)]  # type: ignore[arg-type]
        + [signin("ok", 10, **STRANGER)],
        None,
    ),
    # Look-alike: the refusals stop and nobody gets in.
    Case("refusals, no approval", history() + burst(9, **STRANGER), None),
    # The approval came long after the burst: outside the window.
    Case(
        "approval hours later",
        history() + burst(6, **STRANGER) + [signin("ok", 240, **STRANGER)],
        None,
    ),
]


def final(findings: list[Finding]) -> dict[str, Finding]:
    return {f.uid: f for f in findings}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    published = final(Engine(DetectionConfig(), rules=[RULE]).process_many(case.events))
    if case.expected is None:
        assert published == {}, [f.summary for f in published.values()]
        return
    assert len(published) == 1
    finding = next(iter(published.values()))
    assert finding.rule_id == "mfa-fatigue" and "T1621" in finding.attacks
    assert finding.severity == case.expected, finding.summary
    assert set(case.codes) <= {e.code for e in finding.evidence}


def test_a_late_burst_revises_the_approval_it_preceded() -> None:
    """The approval first, the refusals after it (a lagging partition): the same final alert."""
    events = CASES[0].events
    late = [e for e in events if e.id == "ok"] + [e for e in events if e.id != "ok"]
    in_order = final(Engine(DetectionConfig(), rules=[RULE]).process_many(events))
    reordered = final(Engine(DetectionConfig(), rules=[RULE]).process_many(late))
    assert in_order and set(in_order) == set(reordered)
    assert [f.severity for f in in_order.values()] == [f.severity for f in reordered.values()]
