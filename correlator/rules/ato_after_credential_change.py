"""ato-after-credential-change: a sign-in that looks like someone else right after a reset.

The vishing playbook (Scattered Spider, LAPSUS$): call the helpdesk as the victim, pass the
identity check with public information, get the password or MFA reset (or a Temporary Access
Pass), then sign in from the attacker's own device and network and register a new MFA method.

High confidence needs all of: the change was made by someone other than the user (helpdesk,
admin) or is a TAP; a successful interactive sign-in in the window; evidence from at least two
independent families; a score at or above the high threshold. Failed sign-ins alone stay Medium.
"""

from __future__ import annotations

from correlator.context import SignInFacts
from correlator.model import Evidence, Severity
from correlator.rules.base import Assessment, IncidentContext, Rule, RuleMeta
from correlator.rules.evidence import change_label, incident_evidence, signin_evidence
from correlator.rules.scoring import family_points, total_score

META = RuleMeta(
    id="ato-after-credential-change",
    title="Account takeover after a credential change",
    description=(
        "A successful sign-in from an unfamiliar device or network shortly after a helpdesk "
        "or admin credential change: the pattern of helpdesk voice phishing."
    ),
    attacks=("T1078.004", "T1556.006", "T1098.005", "T1598.004", "T1566.004"),
    default_severity=Severity.HIGH,
    remediation=(
        "Revoke the user's sessions and refresh tokens (Graph: revokeSignInSessions).",
        "Reset the password and remove every authentication method registered since the change.",
        "Confirm the request with the user through a known-good channel (call back the number "
        "on file, or the manager), never the number the caller gave.",
        "Review the user's mailbox rules, app consents and downloads since the first suspicious "
        "sign-in.",
    ),
)


def _interactive(ctx: IncidentContext, success: bool) -> list[SignInFacts]:
    """Interactive sign-ins in the window with the given outcome.

    Non-interactive sign-ins are token refreshes by clients already signed in: reading them as
    new evidence is the classic false positive (service IPs, empty locations).
    """
    return [s for s in ctx.signins if s.interactive and s.success is success]


def _best(
    ctx: IncidentContext, candidates: list[SignInFacts]
) -> tuple[SignInFacts | None, list[Evidence]]:
    best: tuple[int, int, SignInFacts | None, list[Evidence]] = (-1, 0, None, [])
    for facts in candidates:
        found = signin_evidence(facts, ctx)
        points = total_score(family_points(found, ctx.config, ctx.maturity.mature))
        # Ties go to the earliest sign-in: the first foothold is what the analyst needs.
        if points > best[0] or (points == best[0] and best[2] and facts.time < best[1]):
            best = (points, facts.time, facts, found)
    return best[2], best[3]


def _severity(ctx: IncidentContext, score: int, families: int, succeeded: bool) -> Severity:
    cfg = ctx.config
    high = (
        ctx.incident.by_other
        and succeeded
        and families >= cfg.min_families_high
        and score >= cfg.high_score
    )
    if high:
        return Severity.CRITICAL if ctx.privileged else Severity.HIGH
    if score >= cfg.medium_score:
        return Severity.MEDIUM
    return Severity.LOW if score >= cfg.low_score else Severity.INFORMATIONAL


def _assess(ctx: IncidentContext, success: bool) -> Assessment:
    primary, found = _best(ctx, _interactive(ctx, success))
    evidence = found + incident_evidence(ctx)
    points = family_points(evidence, ctx.config, ctx.maturity.mature)
    score = total_score(points)
    # Without any sign-in in the window there is no takeover to report, only a reset.
    if primary is None:
        score = min(score, ctx.config.low_score - 1)
    notes: list[str] = []
    if not ctx.maturity.mature:
        notes.append(
            f"baseline not yet established ({ctx.maturity.signins} sign-ins on "
            f"{ctx.maturity.days} days before the change): novelty evidence counts half"
        )
    if primary is not None and not success:
        notes.append("no successful sign-in matched: the evidence comes from failed attempts")
    families = tuple(sorted(points))
    severity = _severity(ctx, score, len(families), success and primary is not None)
    return Assessment(score, severity, tuple(evidence), families, primary, tuple(notes))


def evaluate(ctx: IncidentContext) -> Assessment:
    """The stronger reading of the incident: its successful sign-ins, or its failed attempts.

    A user who signs in normally after an attacker's failed attempts does not erase them: the
    failed attempts keep the incident at Medium.
    """
    succeeded, failed = _assess(ctx, True), _assess(ctx, False)
    if (failed.severity, failed.score) > (succeeded.severity, succeeded.score):
        return failed
    return succeeded


def title(ctx: IncidentContext) -> str:
    return f"Account takeover suspected after {change_label(ctx)}: {ctx.incident.user}"


def attacks(ctx: IncidentContext, assessment: Assessment) -> tuple[str, ...]:
    evidence = assessment.evidence
    found = ["T1078.004"]
    kinds = {c.kind for c in ctx.incident.changes} | {c.kind for c in ctx.follow_ups}
    if kinds - {"password_reset", "self_service_reset"}:
        found.append("T1556.006")
    if any(e.code in ("device.new", "device.missing", "mfa.added_after") for e in evidence):
        found.append("T1098.005")
    # The helpdesk call itself is the suspected precursor whenever someone else made the change.
    if ctx.incident.by_other or ctx.calls:
        found += ["T1598.004", "T1566.004"]
    return tuple(found)


def summary(ctx: IncidentContext, assessment: Assessment) -> str:
    label = change_label(ctx)
    anchor = ctx.incident.anchor
    who = f" by {anchor.actor}" if anchor.actor and anchor.by_other else ""
    if assessment.primary is None:
        return f"{label}{who} for {ctx.incident.user}; no sign-in followed in the window."
    lead = "; ".join(e.sentence for e in assessment.evidence[:3])
    notes = "".join(f" Note: {n}." for n in assessment.notes)
    return f"{label}{who} for {ctx.incident.user}, then {lead}.{notes}"


RULE: Rule = Rule(META, evaluate, title, summary, attacks)
