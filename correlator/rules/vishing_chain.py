"""vishing-chain: an external call to a user, then their credential change, then a stranger.

The attacker phones the employee (posing as IT), talks them through a self-service reset or an
MFA registration, and signs in with what they were given. Caller ids are spoofed, so an
internal-looking number proves nothing: the call record's own external/PSTN flag decides.

All three links are needed, in order: an inbound external call, within
``chain_call_window_ms`` a credential change of that user (by anyone, the user's own MFA
registration included), then in the change's window a successful interactive sign-in whose own
evidence reaches the medium score. A familiar device on a new café network is not enough.
"""

from __future__ import annotations

from correlator.context import SignInFacts
from correlator.model import CallRecord, CredentialChange, Evidence, Severity
from correlator.rules.base import Assessment, IncidentContext, Rule, RuleMeta
from correlator.rules.evidence import CHANGE_NAMES, relative, signin_evidence
from correlator.rules.scoring import family_points, total_score

META = RuleMeta(
    id="vishing-chain",
    title="Vishing chain: external call, credential change, anomalous sign-in",
    description=(
        "An inbound external call to a user, followed by that user's credential change "
        "(a self-service MFA registration included), then an anomalous sign-in."
    ),
    attacks=("T1566.004", "T1598.004", "T1078.004", "T1556.006"),
    default_severity=Severity.HIGH,
    remediation=(
        "Call the user back on the number on file: ask who called and what they were asked "
        "to do (approve a prompt, read out a code, register an app).",
        "Revoke the user's sessions and remove authentication methods registered since the call.",
        "Search call records for the same caller number: other employees may have been called.",
    ),
)
CALL_POINTS, CHANGE_POINTS, CRITICAL_SCORE = 30, 20, 90
_MFA_KINDS = frozenset({"mfa_reset", "mfa_method_added", "phone_changed", "temporary_access_pass"})


def opens_any(change: CredentialChange) -> bool:
    """Every change counts here, the user's own registrations too: that is the playbook."""
    return True


def _chain_calls(ctx: IncidentContext) -> list[CallRecord]:
    start = ctx.incident.first_time - ctx.config.chain_call_window_ms
    return [
        c
        for c in ctx.calls
        if c.external and c.direction == "inbound" and start <= c.start <= ctx.incident.last_time
    ]


def _anomalous(ctx: IncidentContext, after: int) -> tuple[SignInFacts, list[Evidence], int] | None:
    best: tuple[SignInFacts, list[Evidence], int] | None = None
    for facts in ctx.signins:
        if not (facts.interactive and facts.success) or facts.time < after:
            continue
        found = signin_evidence(facts, ctx)
        points = total_score(family_points(found, ctx.config, ctx.maturity.mature))
        if points >= ctx.config.medium_score and (best is None or points > best[2]):
            best = (facts, found, points)
    return best


def _looks_internal(call: CallRecord) -> bool:
    digits = sum(ch.isdigit() for ch in call.caller_display or call.caller_number or "")
    return 0 < digits <= 6


def call_sentence(call: CallRecord, ctx: IncidentContext) -> Evidence:
    bad = call.caller_number in ctx.config.known_bad_numbers
    number = call.caller_number or "an unknown number"
    text = f"inbound external call from {number} {relative(call.start, ctx.incident.first_time)}"
    if _looks_internal(call):
        shown = call.caller_display or call.caller_number
        text += f"; the caller id {shown} looks internal, but the call came from outside"
    if bad:
        text += " — a known vishing number"
    code = "call.known_bad" if bad else "call.external"
    return Evidence("call", code, text, CALL_POINTS, call.start, call.id)


def _change_sentence(change: CredentialChange, call: CallRecord) -> Evidence:
    whose = "the user's own " if not change.by_other else ""
    text = f"{whose}{CHANGE_NAMES[change.kind]} {relative(change.time, call.start, 'the call')}"
    return Evidence("change", "change.after_call", text, CHANGE_POINTS, change.time, change.id)


def evaluate(ctx: IncidentContext) -> Assessment | None:
    calls = _chain_calls(ctx)
    if not calls:
        return None
    call = calls[0]
    change = next(c for c in ctx.incident.changes if c.time >= call.start - ctx.config.skew_ms)
    found = _anomalous(ctx, change.time - ctx.config.skew_ms)
    if found is None:
        return None
    primary, signin_found, points = found
    evidence = (call_sentence(call, ctx), _change_sentence(change, call), *signin_found)
    score = min(100, CALL_POINTS + CHANGE_POINTS + points)
    known_bad = any(c.caller_number in ctx.config.known_bad_numbers for c in calls)
    notes: tuple[str, ...] = ()
    if not ctx.maturity.mature:
        severity = Severity.MEDIUM
        notes = ("baseline not yet established: the sign-in's novelty is uncertain",)
    elif known_bad or ctx.privileged:
        severity, score = Severity.CRITICAL, max(score, CRITICAL_SCORE)
    else:
        severity = Severity.HIGH
    families = tuple(sorted({e.family for e in evidence}))
    return Assessment(score, severity, evidence, families, primary, notes)


def title(ctx: IncidentContext) -> str:
    return f"Vishing chain: call, credential change, anomalous sign-in for {ctx.incident.user}"


def summary(ctx: IncidentContext, assessment: Assessment) -> str:
    lead = "; then ".join(e.sentence for e in assessment.evidence[:3])
    notes = "".join(f" Note: {n}." for n in assessment.notes)
    return f"{ctx.incident.user}: {lead}.{notes}"


def attacks(ctx: IncidentContext, assessment: Assessment) -> tuple[str, ...]:
    found = ["T1566.004", "T1598.004", "T1078.004"]
    if any(c.kind in _MFA_KINDS for c in ctx.incident.changes):
        found.append("T1556.006")
    return tuple(found)


RULE: Rule = Rule(META, evaluate, title, summary, attacks, opens_any)
