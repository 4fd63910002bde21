"""Table-driven cases for ato-after-credential-change: the attack and its look-alikes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from correlator.config import DAY_MS, MINUTE_MS, DetectionConfig
from correlator.engine.engine import Engine
from correlator.model import Event, Finding, NetworkInfo, Severity
from correlator.rules.ato_after_credential_change import RULE
from tests.engine.builders import (
    ABROAD,
    ATTACKER,
    CORP_VPN,
    HOME,
    OFFICE,
    call,
    change,
    history,
    signin,
)


@dataclass(frozen=True)
class Case:
    name: str
    events: list[Event]
    expected: Severity | None  # the final severity of the one finding; None: nothing published
    codes: tuple[str, ...] = ()  # evidence codes that must be present


ATTACKER_SIGNIN = dict(
    network=ATTACKER, device=None, browser="Chrome 124", os="MacOs", ip="203.0.113.9"
)

# A privacy VPN the user runs on laptop and phone: a hosting network flagged as VPN.
OWN_VPN = NetworkInfo(
    country="GB", city="London", latitude=51.5, longitude=-0.1, accuracy_km=50, asn=9009,
    as_org="M247", vpn=True, hosting=True, geo_source="geoip",
)  # fmt: skip
VPN_IP = "185.220.1.5"


def vpn_days(days: int) -> list[Event]:
    """The user on their own VPN, once a day on the last ``days`` days, from the laptop."""
    return [signin(f"v{d}", (d - days) * DAY_MS / MINUTE_MS + 90, network=OWN_VPN, ip=VPN_IP)
            for d in range(days)]  # fmt: skip


LOST_PHONE = [
    change("w1", 0, "mfa_reset"),  # the admin wipes the lost phone's methods
    signin("p1", 8, network=OWN_VPN, ip=VPN_IP, device=None, os="iOS", browser="Safari"),
    change("m1", 10, "mfa_method_added", by_other=False),  # the new phone's authenticator
]

CASES = [
    # The lost phone: an admin removes the old method, the new phone signs in through the VPN
    # the user has used for days. Their own exit is no anonymizer: Medium, never High.
    Case(
        "lost phone through the user's own VPN",
        history() + vpn_days(5) + LOST_PHONE,
        Severity.MEDIUM,
        ("anonymizer.own_exit", "mfa.added_after"),
    ),
    # The same with a VPN exit the user never used: that is the attacker's pattern.
    Case(
        "new phone through a VPN never used", history() + LOST_PHONE, Severity.HIGH, ("anonymizer",)
    ),
    # One day on the VPN is not yet their exit.
    Case(
        "VPN used once before", history() + vpn_days(1) + LOST_PHONE, Severity.HIGH, ("anonymizer",)
    ),
    # The vishing chain: a call, a helpdesk reset, the attacker's sign-in, a new authenticator.
    Case(
        "attack",
        history()
        + [
            call("c1", -20),
            change("r1", 0),
            signin("x1", 4, **ATTACKER_SIGNIN),
            change("m1", 6, "mfa_method_added", by_other=False),
        ],
        Severity.HIGH,
        ("device.missing", "country.new", "anonymizer", "call.external", "mfa.added_after"),
    ),
    # The same chain against an admin: Critical.
    Case(
        "privileged attack",
        history()
        + [
            change("r1", 0, privileged_target=True),
            signin("x1", 4, **ATTACKER_SIGNIN),
        ],
        Severity.CRITICAL,
        ("target.privileged",),
    ),
    # A user who really forgot the password: known device, known network, right after.
    Case("forgot password", history() + [change("r1", 0), signin("s1", 3)], None),
    # Self-service reset then a new network: never High (nobody else made the change).
    Case(
        "self-service reset",
        history()
        + [
            change("r1", 0, "self_service_reset", by_other=False),
            signin("x1", 4, **ATTACKER_SIGNIN),
        ],
        Severity.MEDIUM,
    ),
    # A traveller without any credential change: no incident at all.
    Case("traveller", history() + [signin("t1", 600, network=ABROAD)], None),
    # A reset, then the corporate VPN the user always uses (declared corporate egress).
    Case(
        "corporate vpn",
        history(network=CORP_VPN) + [change("r1", 0), signin("s1", 5, network=CORP_VPN)],
        None,
    ),
    # A newly issued managed laptop in the office right after a helpdesk reset.
    Case(
        "new managed laptop",
        history()
        + [change("r1", 0), signin("s1", 10, network=OFFICE, device="dev-2", managed=True)],
        None,
    ),
    # A new hire: TAP at onboarding, then first sign-ins from a new device at home.
    Case(
        "new hire",
        [change("t1", 0, "temporary_access_pass"), signin("s1", 15, device="dev-9", managed=False)],
        None,
    ),
    # The attacker only failed: Medium at most.
    Case(
        "failed only",
        history()
        + [
            call("c1", -20),
            change("r1", 0),
            signin("x1", 4, success=False, **ATTACKER_SIGNIN),
            signin("x2", 6, success=False, **ATTACKER_SIGNIN),
        ],
        Severity.MEDIUM,
    ),
    # The attacker failed, then the real user signed in from home: the attempts still count.
    Case(
        "failed then the real user",
        history()
        + [
            call("c1", -20),
            change("r1", 0),
            signin("x1", 4, success=False, **ATTACKER_SIGNIN),
            signin("x2", 6, success=False, **ATTACKER_SIGNIN),
            signin("s1", 30),
        ],
        Severity.MEDIUM,
    ),
    # Non-interactive token refreshes from new places are not read as the attacker.
    Case(
        "non-interactive only",
        history() + [change("r1", 0), signin("n1", 4, interactive=False, **ATTACKER_SIGNIN)],
        None,
    ),
    # Outside the window (2 h later) a strange sign-in is not joined to the reset.
    Case(
        "outside window", history() + [change("r1", 0), signin("x1", 125, **ATTACKER_SIGNIN)], None
    ),
    # Impossible travel (no anonymizer) counts as its own family.
    Case(
        "impossible travel",
        history()
        + [
            signin("s0", -30),
            change("r1", 0),
            signin("x1", 10, network=ABROAD, device=None, ip="198.51.100.7"),
        ],
        Severity.HIGH,
        ("travel.impossible", "country.new"),
    ),
]


def final(findings: list[Finding]) -> dict[str, Finding]:
    latest: dict[str, Finding] = {}
    for finding in findings:
        latest[finding.uid] = finding
    return latest


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    engine = Engine(DetectionConfig(), rules=[RULE])
    published = final(engine.process_many(case.events))
    if case.expected is None:
        assert published == {}, [f.summary for f in published.values()]
        return
    assert len(published) == 1
    finding = next(iter(published.values()))
    assert finding.severity == case.expected, finding.summary
    codes = {e.code for e in finding.evidence}
    assert set(case.codes) <= codes, codes
    assert all(e.sentence for e in finding.evidence)


def test_home_network_is_not_evidence() -> None:
    engine = Engine(DetectionConfig(), rules=[RULE])
    events = history() + [change("r1", 0), signin("s1", 5, network=HOME, device=None)]
    # Only the device family fires: one family is never enough for an alert.
    assert engine.process_many(events) == []
