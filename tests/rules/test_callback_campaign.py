"""Table-driven cases for callback-campaign: many employees dial one outside number."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from msgspec.structs import replace

from correlator.config import MINUTE_MS, DetectionConfig
from correlator.engine.engine import Engine
from correlator.engine.keyed import KeyedEngine
from correlator.model import AppConsent, CallRecord, Event, Finding, Severity
from correlator.rules import call_campaign, callback_campaign
from tests.engine.builders import ATTACKER, T0, change, history, signin

NUMBER, BAD, VENDOR = "+18885550100", "+18885550199", "+18005550123"
CONFIG = DetectionConfig(
    known_bad_numbers=(BAD,), callback_allowed_numbers=(VENDOR,), consent_trusted_apps=("zoom",)
)
STRANGER = dict(network=ATTACKER, device=None, browser="Chrome 124", os="MacOs", ip="203.0.113.9")
U1 = "u1@northwind.test"


def dial(n: int, start: float = 0, gap: float = 15, number: str = NUMBER) -> list[Event]:
    """``n`` employees dial ``number`` one after another, ``gap`` minutes apart."""
    return [
        CallRecord(f"o{i}", T0 + int((start + i * gap) * 60_000), f"u{i}@northwind.test",
                   caller_number=number, direction="outbound", external=True)
        for i in range(n)
    ]  # fmt: skip


def consent(cid: str, minutes: float, app: str = "Invoice Viewer", user: str = U1) -> AppConsent:
    """``user`` approves an app that reads mail (the remote "support" session's doing)."""
    return AppConsent(cid, T0 + int(minutes * MINUTE_MS), user, app=app, app_id=f"sp-{app}",
                      permissions=("openid", "offline_access", "Mail.Read"))  # fmt: skip


@dataclass(frozen=True)
class Case:
    name: str
    events: list[Event]
    expected: Severity | None
    codes: tuple[str, ...] = ()


CASES = [
    # Three employees dial the number from the e-mail within 45 min: a campaign.
    Case("three callers in the window", dial(3), Severity.MEDIUM, ("callback.callers",)),
    # ... then one of them has a password reset: escalated.
    Case("caller then reset", dial(3) + [change("r1", 100, user=U1)], Severity.HIGH,
         ("callback.caller",)),
    # ... or signs in from a stranger's device and network (the remote session's doing).
    Case("caller then stranger sign-in",
         history(user=U1) + dial(3) + [signin("x1", 90, user=U1, **STRANGER)],  # type: ignore[arg-type]
         Severity.HIGH, ("callback.caller",)),
    # ... or approves an application the "support agent" asked for.
    Case("caller then consent", dial(3) + [consent("k1", 50)], Severity.HIGH,
         ("callback.caller",)),
    # The consent arrives before the calls (audit logs and call records lag differently).
    Case("consent first, calls later", [consent("k1", 50)] + dial(3), Severity.HIGH,
         ("callback.caller",)),
    # A consent before the caller dialled is not the call's doing.
    Case("consent before the call", [consent("k1", 5)] + dial(3), Severity.MEDIUM),
    # A consent more than a day (campaign_escalation_hours) after the call.
    Case("consent days later", dial(3) + [consent("k1", 26 * 60)], Severity.MEDIUM),
    # Look-alike: a consent to an application the tenant trusts.
    Case("caller then trusted app", dial(3) + [consent("k1", 50, app="Zoom")], Severity.MEDIUM),
    # Look-alike: someone who did not call the number consents.
    Case("a non-caller consents", dial(3) + [consent("k1", 50, user="u9@northwind.test")],
         Severity.MEDIUM),
    # Look-alike: the vendor's line, then a caller consents to the vendor's app.
    Case("vendor line, then consent", dial(6, number=VENDOR) + [consent("k1", 100)], None),
    # A known vishing number, escalated: Critical.
    Case("known-bad number, then reset", dial(3, number=BAD) + [change("r1", 60, user=U1)],
         Severity.CRITICAL, ("call.known_bad",)),
    # Default window 120 min: three callers over 3 h is not a campaign.
    Case("spread over hours", dial(3, gap=70), None),
    # Look-alike: a vendor's support line that many people call (allow-listed).
    Case("vendor support line", dial(6, number=VENDOR) + [change("r1", 100, user=U1)], None),
    # Look-alike: an all-staff call, everyone dialling the conference line at the same minute.
    Case("all-staff conference line", dial(20, gap=0.1), None),
    # Look-alike: two callers are not many.
    Case("two callers", dial(2) + [change("r1", 40, user=U1)], None),
    # Inbound calls from the number are the other rule's business.
    Case("inbound calls", [replace(c, direction="inbound") for c in dial(3)], None),  # type: ignore[type-var]
]  # fmt: skip


def run(events: list[Event], rules: list[object] | None = None) -> dict[str, Finding]:
    rules = rules or [callback_campaign.RULE]
    engine, keyed = Engine(CONFIG, rules=rules), KeyedEngine(CONFIG, rules)  # type: ignore[arg-type]
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
    (finding,) = published.values()
    assert finding.rule_id == "callback-campaign"
    dialled = {e.caller_number for e in case.events if isinstance(e, CallRecord)}
    assert finding.observables.phone_numbers[0] in dialled
    assert finding.severity == case.expected, finding.summary
    assert set(case.codes) <= {e.code for e in finding.evidence}


def test_escalated_finding_is_about_the_caller_who_was_taken_over() -> None:
    (finding,) = run(dial(3) + [change("r1", 100, user=U1)]).values()
    assert finding.user == U1 and finding.severity == Severity.HIGH


def test_the_inbound_rule_ignores_outbound_calls_on_the_same_number() -> None:
    events = dial(4) + [change("r1", 100, user=U1)]
    both = run(events, [call_campaign.RULE, callback_campaign.RULE])
    assert {f.rule_id for f in both.values()} == {"callback-campaign"}


@pytest.mark.parametrize(
    "late", [change("r1", 100, user=U1), consent("k1", 100)], ids=["change", "consent"]
)
def test_order_does_not_matter(late: Event) -> None:
    events = dial(4) + [late]
    reference = {(f.severity, f.evidence) for f in run(events).values()}
    assert {s for s, _ in reference} == {Severity.HIGH}
    assert {(f.severity, f.evidence) for f in run(events[::-1]).values()} == reference


def test_a_consent_escalation_names_the_app_and_the_caller() -> None:
    (finding,) = run(dial(3) + [consent("k1", 50)]).values()
    assert finding.user == U1
    (said,) = [e.sentence for e in finding.evidence if e.code == "callback.caller"]
    assert said.startswith(f"consent by {U1} to Invoice Viewer (")
    assert "35 min after the call" in said  # u1 dialled at 15 min
    assert "app_consent" in {t.kind for t in finding.timeline}
