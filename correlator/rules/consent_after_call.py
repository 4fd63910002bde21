"""consent-after-call: the user consents to an application soon after an outside call or a
credential change.

Consent phishing by phone: "IT" calls and has the user approve an app that then reads their
mail with its own refresh token, untouched by a password reset. A consent within
``consent_window_ms`` after an inbound external call or a credential change of the user is
scored by what it grants: mailbox, file or directory scopes make it High, offline access or an
admin consent Medium, sign-in-only scopes (openid, profile, User.Read) stay below publishing.
Applications in ``consent_trusted_apps`` are never reported.
"""

from __future__ import annotations

from correlator.context import ConsentContext, trusted_app
from correlator.model import (
    Evidence,
    Finding,
    Observables,
    Severity,
    TimelineEntry,
)
from correlator.rules.base import Assessment, ConsentRule, RuleMeta
from correlator.rules.evidence import CHANGE_NAMES, relative

META = RuleMeta(
    id="consent-after-call",
    title="Application consent after a call or a credential change",
    description=(
        "'Consent to application' by a user shortly after an external call or a credential "
        "change, scored by the permissions granted."
    ),
    attacks=("T1528", "T1566.004", "T1098.003"),
    default_severity=Severity.HIGH,
    remediation=(
        "Revoke the application's grant (oauth2PermissionGrants) and its refresh tokens; "
        "disable the service principal if nobody else uses it.",
        "Ask the user, on a known-good channel, who called and what they were asked to approve.",
        "Restrict user consent to verified publishers and low-risk permissions.",
    ),
)
# Delegated scopes that read or send mail, reach files, or change the directory.
RISKY = frozenset(
    s.lower()
    for s in (
        "Mail.Read", "Mail.ReadWrite", "Mail.Send", "Mail.ReadBasic", "MailboxSettings.ReadWrite",
        "EWS.AccessAsUser.All", "full_access_as_user", "IMAP.AccessAsUser.All",
        "Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All",
        "Notes.Read.All", "Contacts.Read", "Chat.Read", "Directory.ReadWrite.All",
        "User.ReadWrite.All", "Application.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
    )
)  # fmt: skip
BASE, PER_RISKY, OFFLINE, ADMIN, HIGH_FROM, MEDIUM_FROM = 30, 15, 10, 20, 60, 40


def _precursors(ctx: ConsentContext) -> list[Evidence]:
    consent, found = ctx.consent, []
    for call in ctx.calls:
        if call.external and call.direction == "inbound":
            number = call.caller_number or "an unknown number"
            when = relative(call.start, consent.time, "the consent")
            text = f"inbound external call from {number} {when}"
            found.append(Evidence("call", "call.external", text, BASE, call.start, call.id))
    for change in ctx.changes:
        text = f"{CHANGE_NAMES[change.kind]} {relative(change.time, consent.time, 'the consent')}"
        found.append(Evidence("change", "change.before", text, BASE, change.time, change.id))
    return found[:3]


def evaluate(ctx: ConsentContext) -> Assessment | None:
    consent = ctx.consent
    if trusted_app(ctx.config, consent):
        return None
    before = _precursors(ctx)
    if not before:
        return None
    risky = [p for p in consent.permissions if p.lower() in RISKY]
    score = BASE + PER_RISKY * len(risky)
    app = consent.app or consent.app_id or "an application"
    scopes = " ".join(consent.permissions) or "no scopes listed"
    text = f"{ctx.user} consented to {app}: {scopes}"
    granted = [Evidence("consent", "consent.scopes", text, PER_RISKY * len(risky), consent.time)]
    if "offline_access" in {p.lower() for p in consent.permissions}:
        score += OFFLINE
    if consent.admin_consent:
        score += ADMIN
        granted.append(Evidence("consent", "consent.admin", "an admin consent, for every user",
                                ADMIN, consent.time))  # fmt: skip
    score = min(100, score)
    if score >= HIGH_FROM and risky:
        severity = Severity.HIGH
    elif score >= MEDIUM_FROM:
        severity = Severity.MEDIUM
    else:
        severity = Severity.LOW
    evidence = (*before, *granted)
    return Assessment(score, severity, evidence, tuple(sorted({e.family for e in evidence})), None)


def finding(ctx: ConsentContext, assessment: Assessment, activity: str, revision: int) -> Finding:
    consent = ctx.consent
    entries = [
        TimelineEntry(c.start, "call", f"call from {c.caller_number}", c.id) for c in ctx.calls
    ]
    entries += [TimelineEntry(c.time, "credential_change", CHANGE_NAMES[c.kind], c.id)
                for c in ctx.changes]  # fmt: skip
    entries.append(
        TimelineEntry(consent.time, "app_consent", f"consent to {consent.app}", consent.id)
    )
    entries.sort(key=lambda e: (e.time, e.kind, e.ref or ""))
    phones = tuple(dict.fromkeys(c.caller_number for c in ctx.calls if c.caller_number))
    return Finding(
        uid=ctx.uid(META.id),
        rule_id=META.id,
        title=f"Application consent after a call: {consent.app or consent.app_id} for {ctx.user}",
        user=ctx.user,
        severity=assessment.severity,
        score=assessment.score,
        activity=activity,  # type: ignore[arg-type]
        revision=revision,
        start_time=entries[0].time,
        end_time=consent.time,
        summary="; then ".join(e.sentence for e in assessment.evidence) + ".",
        evidence=assessment.evidence,
        timeline=tuple(entries),
        attacks=META.attacks,
        remediation=META.remediation,
        observables=Observables(phone_numbers=phones),
        families=assessment.families,
        user_id=ctx.user_id,
    )


RULE: ConsentRule = ConsentRule(META, evaluate, finding)
