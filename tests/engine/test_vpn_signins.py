"""VPN logins feed the baseline and the join like Entra sign-ins do.

The lines are real ASA syslog shapes, parsed and alias-resolved by the normalize core; the
network each IP belongs to is attached as enrichment would (the engine's input).
"""

from __future__ import annotations

import msgspec

from correlator.config import DAY_MS, MINUTE_MS, DetectionConfig
from correlator.engine.engine import Engine
from correlator.identity import AliasMap
from correlator.model import Event, Finding, Severity, SignIn
from correlator.normalize import Normalizer
from correlator.sources import SyslogLine
from correlator.sources.timeparse import format_iso
from tests.engine.builders import ATTACKER, HOME, T0, USER, call, change, history

HOME_IP, ATTACKER_IP = "81.2.69.10", "203.0.113.9"
NETWORKS = {HOME_IP: HOME, ATTACKER_IP: ATTACKER}
NORMALIZER = Normalizer(max_future_ms=DAY_MS, aliases=AliasMap({"alice": USER}))


def vpn_login(minutes: float, ip: str) -> SignIn:
    """An AnyConnect login of CORP\\alice, as the ASA logs it, normalised and enriched."""
    stamp = format_iso(T0 + int(minutes * MINUTE_MS))
    line = (
        f"<166>1 {stamp} asa-edge-1 - - - - %ASA-6-113039: Group <Staff> User <CORP\\alice> "
        f"IP <{ip}> AnyConnect parent session started."
    )
    (event,) = NORMALIZER.normalize(SyslogLine(line), T0 + DAY_MS)
    assert isinstance(event, SignIn) and event.user == USER
    return msgspec.structs.replace(event, network=NETWORKS[ip])


def vpn_history(days: int = 10) -> list[Event]:
    return [vpn_login((d - days) * DAY_MS / MINUTE_MS, HOME_IP) for d in range(days)]


def run(events: list[Event]) -> dict[str, Finding]:
    engine = Engine(DetectionConfig())
    latest: dict[str, Finding] = {}
    for event in sorted(events, key=lambda e: e.time):
        for finding in engine.process(event):
            latest[finding.uid] = finding
    return latest


def codes(finding: Finding) -> set[str]:
    return {e.code for e in finding.evidence}


def test_a_vpn_login_from_a_new_network_after_a_reset_is_evidence() -> None:
    findings = run([*vpn_history(), change("r1", 0), vpn_login(5, ATTACKER_IP)])
    (finding,) = findings.values()
    assert finding.signin is not None and finding.signin.ip == ATTACKER_IP
    assert {"country.new", "asn.new", "anonymizer"} <= codes(finding)
    assert finding.baseline_mature  # the VPN logins alone made the baseline
    # Two families (network, anonymizer) but no device evidence either way: Medium.
    assert finding.severity == Severity.MEDIUM
    # A gateway reports no device: that absence is not evidence against the user.
    assert "device.missing" not in codes(finding)


def test_with_the_callers_call_to_the_user_first_it_is_high() -> None:
    events = [*vpn_history(), call("c1", -60), change("r1", 0), vpn_login(5, ATTACKER_IP)]
    found = {f.rule_id: f for f in run(events).values()}
    # The vishing chain (call, change, stranger's sign-in) holds over the VPN login too.
    assert found["vishing-chain"].severity >= Severity.HIGH
    finding = found["ato-after-credential-change"]
    assert {"country.new", "anonymizer", "call.external"} <= codes(finding)
    assert finding.severity >= Severity.HIGH


def test_a_vpn_login_from_the_usual_network_after_a_reset_is_not() -> None:
    findings = run([*vpn_history(), change("r1", 0), vpn_login(5, HOME_IP)])
    assert all(f.severity < Severity.MEDIUM for f in findings.values()), findings
    assert all("device.missing" not in codes(f) for f in findings.values())


def test_entra_history_and_vpn_logins_are_one_person() -> None:
    # Baseline from Entra sign-ins (UPN), the login after the reset over the VPN (NETBIOS name).
    findings = run([*history(), change("r1", 0), vpn_login(5, ATTACKER_IP)])
    (finding,) = findings.values()
    assert finding.user == USER and finding.baseline_mature
    assert {"country.new", "anonymizer"} <= codes(finding)


def test_a_vpn_login_without_a_device_id_claims_no_device_at_all() -> None:
    (finding,) = run([*vpn_history(), change("r1", 0), vpn_login(5, ATTACKER_IP)]).values()
    assert not {c for c in codes(finding) if c.startswith("device.")}, codes(finding)
