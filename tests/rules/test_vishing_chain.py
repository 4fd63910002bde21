"""Table-driven cases for vishing-chain: call, change, stranger; and the look-alikes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from msgspec.structs import replace

from correlator.config import DetectionConfig
from correlator.engine.engine import Engine
from correlator.model import CallRecord, Event, Finding, Severity
from correlator.rules.vishing_chain import RULE
from tests.engine.builders import ATTACKER, HOME, call, change, history, signin


@dataclass(frozen=True)
class Case:
    name: str
    events: list[Event]
    expected: Severity | None  # the final severity of the one finding; None: nothing published
    codes: tuple[str, ...] = ()


STRANGER = dict(network=ATTACKER, device=None, browser="Chrome 124", os="MacOs", ip="203.0.113.9")
SELF_MFA = dict(kind="mfa_method_added", by_other=False)


def spoofed(cid: str, minutes: float) -> CallRecord:
    """Caller id shows an internal extension; the record still says the call came from outside."""
    return replace(call(cid, minutes, number="4410"), caller_display="IT Service Desk 4410")


def internal(cid: str, minutes: float) -> CallRecord:
    return replace(call(cid, minutes, number="4410"), external=False)


CASES = [
    # The playbook: "IT" calls, the user registers the attacker's authenticator, the attacker
    # signs in minutes later from a VPN with no device id.
    Case(
        "call, self-service MFA registration, stranger",
        history() + [call("c1", -25), change("m1", 0, **SELF_MFA), signin("x1", 6, **STRANGER)],
        Severity.HIGH,
        ("call.external", "change.after_call", "device.missing", "anonymizer"),
    ),
    # A spoofed internal-looking caller id does not hide an external call.
    Case(
        "spoofed internal caller id",
        history()
        + [spoofed("c1", -10), change("r1", 0, "self_service_reset", by_other=False)]
        + [signin("x1", 8, **STRANGER)],
        Severity.HIGH,
        ("call.external",),
    ),
    # A number on the known-vishing list makes it Critical.
    Case(
        "known vishing number",
        history()
        + [call("c1", -5, "+15550199"), change("m1", 0, **SELF_MFA)]
        + [signin("x1", 3, **STRANGER)],
        Severity.CRITICAL,
        ("call.known_bad",),
    ),
    # Look-alike: a customer calls, later the user resets their own password and signs in
    # from their own laptop at home.
    Case(
        "external call, own reset, familiar sign-in",
        history()
        + [call("c1", -40), change("r1", 0, "self_service_reset", by_other=False)]
        + [signin("s1", 10, network=HOME)],
        None,
    ),
    # Look-alike: a colleague's internal call, then the change and a stranger (ato's business).
    Case(
        "internal call",
        history() + [internal("c1", -10), change("m1", 0, **SELF_MFA), signin("x1", 5, **STRANGER)],
        None,
    ),
    # Look-alike: the call came the morning before, far outside the chain window.
    Case(
        "call long before",
        history() + [call("c1", -300), change("m1", 0, **SELF_MFA), signin("x1", 5, **STRANGER)],
        None,
    ),
    # Look-alike: a call and a stranger, but no credential change: no chain (and no incident).
    Case("no change", history() + [call("c1", -10), signin("x1", 5, **STRANGER)], None),
    # Look-alike: a call and a change, but the only sign-in failed.
    Case(
        "failed sign-in only",
        history()
        + [
            call("c1", -10),
            change("m1", 0, **SELF_MFA),
            signin("x1", 5, success=False, **STRANGER),
        ],
        None,
    ),
    # A young account: the chain is there but novelty is uncertain, so Medium.
    Case(
        "immature baseline",
        history(days=1)
        + [call("c1", -10), change("m1", 0, **SELF_MFA)]
        + [signin("x1", 5, **STRANGER)],
        Severity.MEDIUM,
    ),
]


def final(findings: list[Finding]) -> dict[str, Finding]:
    return {f.uid: f for f in findings}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    engine = Engine(DetectionConfig(known_bad_numbers=("+15550199",)), rules=[RULE])
    published = final(engine.process_many(case.events))
    if case.expected is None:
        assert published == {}, [f.summary for f in published.values()]
        return
    assert len(published) == 1
    finding = next(iter(published.values()))
    assert finding.rule_id == "vishing-chain"
    assert finding.severity == case.expected, finding.summary
    codes = {e.code for e in finding.evidence}
    assert set(case.codes) <= codes, codes
    assert "T1566.004" in finding.attacks and finding.remediation


def test_the_chain_does_not_depend_on_arrival_order() -> None:
    events = CASES[0].events
    one = final(Engine(DetectionConfig(), rules=[RULE]).process_many(events))
    two = final(Engine(DetectionConfig(), rules=[RULE]).process_many(list(reversed(events))))
    assert one and {u: f.severity for u, f in one.items()} == {
        u: f.severity for u, f in two.items()
    }
