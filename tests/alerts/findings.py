"""Hand-built Findings for the alert tests: one realistic incident, varied by ``replace``."""

from __future__ import annotations

import msgspec

from correlator.model import (
    CredentialChange,
    Evidence,
    Finding,
    Observables,
    Severity,
    SignInView,
    TimelineEntry,
)

T0 = 1_714_557_600_000  # 2024-05-01 10:00:00Z
MINUTE = 60_000
USER = "alice@contoso.com"

RESET = CredentialChange(
    id="audit-1",
    time=T0,
    user=USER,
    kind="password_reset",
    source="audit",
    actor="bob.helpdesk@contoso.com",
    actor_kind="helpdesk",
    by_other=True,
    target_id="0b8d0c3e-1111-4a4a-9c9c-000000000001",
    ticket_id="INC0012345",
    caller_number="+15551234567",
    caller_verified=False,
    channel="phone",
)
SIGNIN = SignInView(
    id="signin-1",
    time=T0 + 4 * MINUTE,
    ip="203.0.113.9",
    country="NL",
    city="Amsterdam",
    latitude=52.37,
    longitude=4.89,
    asn=14061,
    as_org="DigitalOcean, LLC",
    device_id="dev-7",
    device_name="DESKTOP-7",
    device_os="Windows10",
    user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    app="Office 365 Exchange Online",
)
EVIDENCE = (
    Evidence(
        family="device",
        code="device.new",
        sentence="device DESKTOP-7 first seen 4 min after the reset",
        weight=30,
        time=T0 + 4 * MINUTE,
        signin_id="signin-1",
    ),
    Evidence(
        family="anonymizer",
        code="anonymizer.hosting",
        sentence="sign-in from a hosting ASN (AS14061 DigitalOcean, LLC)",
        weight=20,
        signin_id="signin-1",
    ),
    Evidence(
        family="call",
        code="call.external_before_reset",
        sentence="inbound external call from +15551234567 2 min before the reset",
        weight=15,
    ),
)
TIMELINE = (
    TimelineEntry(time=T0 - 2 * MINUTE, kind="call", text="call from +15551234567", ref="call-1"),
    TimelineEntry(time=T0, kind="credential_change", text="bob.helpdesk reset the password"),
    TimelineEntry(
        time=T0 + 4 * MINUTE, kind="signin", text="sign-in from 203.0.113.9 (NL)", ref="signin-1"
    ),
)

BASE = Finding(
    uid="ato-7c1e2f0a9b",
    rule_id="ato.credential_change_then_signin",
    title="Account takeover after a helpdesk password reset",
    user=USER,
    severity=Severity.HIGH,
    score=85,
    activity="create",
    revision=1,
    start_time=T0,
    end_time=T0 + 4 * MINUTE,
    summary="The helpdesk reset alice's password after a phone call; 4 min later she signed in "
    "from a device and network never seen before.",
    change_ids=("audit-1",),
    changes=(RESET,),
    signin=SIGNIN,
    evidence=EVIDENCE,
    timeline=TIMELINE,
    attacks=("T1598.004", "T1566.004", "T1078.004"),
    remediation=(
        "Revoke the user's sessions and refresh tokens.",
        "Call the user back on a number from the directory before any further reset.",
    ),
    observables=Observables(
        ips=("203.0.113.9",),
        devices=("dev-7", "DESKTOP-7"),
        phone_numbers=("+15551234567",),
        user_agents=("Mozilla/5.0 (Windows NT 10.0; Win64; x64)",),
    ),
    families=("device", "anonymizer", "call"),
    user_id="0b8d0c3e-1111-4a4a-9c9c-000000000001",
)


def finding(**changes: object) -> Finding:
    return msgspec.structs.replace(BASE, **changes)
