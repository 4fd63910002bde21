"""call-campaign: one outside number calls many employees, then one of them is taken over.

Before the helpdesk call, vishing crews ring around the company from one number to find who
answers and what the desk asks. State is keyed by the caller number (its own keyed stage).
A number that reaches ``campaign_min_callees`` distinct employees within a sliding
``campaign_window_ms`` is a campaign (Medium); it is escalated to High when a callee then has a
credential change or an anomalous sign-in, or a helpdesk ticket names the number as the
caller. Numbers on the known-vishing list are always flagged. A conference bridge dialling out
rings everyone at the same minute: calls that start within ``campaign_meeting_ms`` of two
others are a meeting, not a campaign.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from correlator.keyed import NUMBER, CalleeSignal, KeyContext
from correlator.model import (
    CallRecord,
    CredentialChange,
    Evidence,
    Finding,
    Observables,
    Severity,
    TimelineEntry,
)
from correlator.rules.base import Assessment, KeyedFinding, KeyedRule, RuleMeta

META = RuleMeta(
    id="call-campaign",
    title="Call campaign: one outside number calls many employees",
    description=(
        "One external number calls at least N distinct employees within a sliding window; "
        "escalated when a callee then has a credential change or an anomalous sign-in."
    ),
    attacks=("T1598.004", "T1566.004", "T1589"),
    default_severity=Severity.MEDIUM,
    remediation=(
        "Warn the employees the number called, and the service desk, that a caller is "
        "impersonating staff; block the number at the carrier or Teams tenant.",
        "For every callee with a credential change since the call: revoke sessions and "
        "confirm the change through a known-good channel.",
    ),
)
CAMPAIGN, KNOWN_BAD, ESCALATED, CRITICAL = 50, 55, 80, 95


@dataclass(frozen=True)
class Episode:
    calls: tuple[CallRecord, ...]
    peak: int  # most distinct callees inside one sliding window
    signals: tuple[CalleeSignal, ...]
    tickets: tuple[CredentialChange, ...]  # changes whose ticket names this number as caller


def _meetings(calls: Sequence[CallRecord], span: int) -> set[str]:
    """Calls that start within ``span`` of at least two others: a bridge ringing everyone."""
    found: set[str] = set()
    for call in calls:
        near = [c for c in calls if abs(c.start - call.start) <= span]
        if len(near) >= 3:
            found.update(c.id for c in near)
    return found


def _peak(calls: Sequence[CallRecord], window: int) -> int:
    best = 0
    for i, first in enumerate(calls):
        inside = {c.user for c in calls[i:] if c.start - first.start <= window}
        best = max(best, len(inside))
    return best


def call_groups(calls: list[CallRecord], window_ms: int, meeting_ms: int) -> list[list[CallRecord]]:
    """Calls (oldest first) less conference-bridge meetings, cut where a gap exceeds the window."""
    meeting = _meetings(calls, meeting_ms)
    groups: list[list[CallRecord]] = []
    for call in (c for c in calls if c.id not in meeting):
        if groups and call.start - groups[-1][-1].start <= window_ms:
            groups[-1].append(call)
        else:
            groups.append([call])
    return groups


def episodes(ctx: KeyContext) -> list[Episode]:
    cfg = ctx.config
    calls = [c for c in ctx.calls if c.external and c.direction == "inbound"]
    found = []
    for group in call_groups(calls, cfg.campaign_window_ms, cfg.campaign_meeting_ms):
        ids = {c.id for c in group}
        start, end = group[0].start, group[-1].start + cfg.campaign_escalation_ms
        signals = tuple(s for s in ctx.signals if s.call_id in ids)
        tickets = tuple(c for c in ctx.changes if start <= c.time <= end)
        found.append(Episode(tuple(group), _peak(group, cfg.campaign_window_ms), signals, tickets))
    return found


def _assess(ctx: KeyContext, ep: Episode) -> Assessment | None:
    cfg, number = ctx.config, ctx.name
    known_bad = number in cfg.known_bad_numbers
    campaign = ep.peak >= cfg.campaign_min_callees
    if not (campaign or known_bad):
        return None
    first = ep.calls[0]
    evidence: list[Evidence] = []
    if campaign:
        minutes = round((ep.calls[-1].start - first.start) / 60_000)
        callees = ", ".join(dict.fromkeys(c.user for c in ep.calls))
        text = f"{number} called {ep.peak} employees within {minutes} min ({callees})"
        evidence.append(Evidence("call", "campaign.callees", text, CAMPAIGN, first.start))
    if known_bad:
        text = f"{number} is on the list of known vishing numbers"
        evidence.append(Evidence("call", "call.known_bad", text, KNOWN_BAD, first.start))
    evidence += [Evidence("escalation", "campaign.callee", s.text, 30, s.time, s.ref)
                 for s in ep.signals]  # fmt: skip
    evidence += [_ticket_evidence(c, number) for c in ep.tickets]
    escalated = bool(ep.signals or ep.tickets)
    if escalated and known_bad:
        severity, score = Severity.CRITICAL, CRITICAL
    elif escalated or (campaign and known_bad):
        severity, score = Severity.HIGH, ESCALATED
    else:
        severity, score = Severity.MEDIUM, KNOWN_BAD if known_bad else CAMPAIGN
    families = tuple(sorted({e.family for e in evidence}))
    return Assessment(score, severity, tuple(evidence), families, None)


def _ticket_evidence(change: CredentialChange, number: str) -> Evidence:
    by = f" by {change.actor}" if change.actor else ""
    text = f"helpdesk ticket {change.ticket_id or change.id}{by} for {change.user} names {number}"
    text += f" as the caller ({change.kind.replace('_', ' ')})"
    return Evidence("escalation", "campaign.ticket", text, 30, change.time, change.id)


def evaluate(ctx: KeyContext) -> list[KeyedFinding]:
    found = []
    for ep in episodes(ctx):
        assessment = _assess(ctx, ep)
        if assessment is not None:
            members = frozenset(c.id for c in ep.calls)
            build = _builder(ctx, ep, assessment)
            found.append(
                KeyedFinding(ep.calls[0].id, ep.calls[0].start, assessment, build, members)
            )
    return found


def _target(ep: Episode) -> str:
    """Whom the alert is about: the callee something happened to, else the first callee."""
    for user in [s.user for s in ep.signals] + [c.user for c in ep.tickets]:
        return user
    return ep.calls[0].user


def _builder(
    ctx: KeyContext, ep: Episode, assessment: Assessment
) -> Callable[[str, str, int], Finding]:
    def build(uid: str, activity: str, revision: int) -> Finding:
        entries = [TimelineEntry(c.start, "call", f"call from {ctx.name} to {c.user}", c.id)
                   for c in ep.calls]  # fmt: skip
        entries += [TimelineEntry(s.time, s.kind, s.text, s.ref) for s in ep.signals]
        entries += [TimelineEntry(c.time, "credential_change", f"{c.kind} for {c.user}", c.id)
                    for c in ep.tickets]  # fmt: skip
        entries.sort(key=lambda e: (e.time, e.kind, e.ref or ""))
        return Finding(
            uid=uid,
            rule_id=META.id,
            title=f"Call campaign from {ctx.name}: {ep.peak} employees called",
            user=_target(ep),
            severity=assessment.severity,
            score=assessment.score,
            activity=activity,  # type: ignore[arg-type]
            revision=revision,
            start_time=entries[0].time,
            end_time=entries[-1].time,
            summary="; ".join(e.sentence for e in assessment.evidence) + ".",
            change_ids=tuple(c.id for c in ep.tickets),
            evidence=assessment.evidence,
            timeline=tuple(entries),
            attacks=META.attacks,
            remediation=META.remediation,
            observables=Observables(phone_numbers=(ctx.name,)),
            families=assessment.families,
        )

    return build


RULE: KeyedRule = KeyedRule(META, (NUMBER,), evaluate)
