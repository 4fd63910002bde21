"""Property: the engine's final alerts do not depend on arrival order within the lateness."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.config import DetectionConfig
from correlator.engine.engine import Engine
from correlator.model import Event, Finding
from tests.engine.builders import ABROAD, ATTACKER, call, change, history, signin

CONFIG = DetectionConfig()
ATTACK = dict(network=ATTACKER, device=None, browser="Chrome 124", os="MacOs", ip="203.0.113.9")
BOB, CAROL, DAN = "bob@northwind.test", "carol@northwind.test", "dan@northwind.test"

SCENARIO: list[Event] = (
    history()
    + history(user=BOB)
    + history(user=CAROL)
    + history(user=DAN)
    + [
        # alice: the attack, with two audit records of one reset and a follow-up registration
        call("c1", -30),
        change("r1", 0),
        change("r2", 0.2),
        signin("x1", 3, **ATTACK),
        signin("x2", 20, **ATTACK),
        change("m1", 5, "mfa_method_added", by_other=False),
        signin("a-late", 40),
        # bob: forgot his password, signs in from home right after
        change("b1", 100, user=BOB),
        signin("b-s1", 104, user=BOB),
        # carol: attacker only failed
        change("k1", 200, user=CAROL),
        signin("k-x1", 203, user=CAROL, success=False, **ATTACK),
        # dan: impossible travel after a reset, then more sign-ins
        signin("d0", 290, user=DAN),
        change("d1", 300, "mfa_reset", user=DAN),
        signin("d-x1", 310, user=DAN, network=ABROAD, device=None, ip="198.51.100.7"),
        signin("d2", 330, user=DAN),
    ]
)


def final_alerts(events: list[Event]) -> dict[str, tuple[int, int, tuple[str, ...]]]:
    findings: dict[str, Finding] = {}
    for finding in Engine(CONFIG).process_many(events):
        findings[finding.uid] = finding
    return {
        uid: (int(f.severity), f.score, tuple(sorted(e.code for e in f.evidence)))
        for uid, f in findings.items()
        if f.activity != "close" and f.severity >= CONFIG.publish_min_severity
    }


EXPECTED = final_alerts(sorted(SCENARIO, key=lambda e: (e.time, e.id)))


def test_the_scenario_alerts() -> None:
    severities = sorted(s for s, _, _ in EXPECTED.values())
    # carol Medium; dan's reset at 19:13 his time Medium (helpdesk-anomaly);
    # alice (ato, vishing-chain) and dan High
    assert severities == [3, 3, 4, 4, 4]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, CONFIG.lateness_ms - 1), min_size=len(SCENARIO), max_size=len(SCENARIO))
)
def test_arrival_order_within_lateness_does_not_matter(delays: list[int]) -> None:
    # Each event arrives up to `lateness` after its event time, so none is ever late.
    arrival = sorted(zip(SCENARIO, delays, strict=True), key=lambda p: p[0].time + p[1])
    assert final_alerts([event for event, _ in arrival]) == EXPECTED
