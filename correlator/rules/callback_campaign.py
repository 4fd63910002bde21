"""callback-campaign: many employees call one outside number, then one of them is taken over.

Callback phishing (BazarCall, Luna Moth): an e-mail about an invoice or a subscription asks
the reader to call a "support" number, where the attacker talks them into a remote session or
a credential change. The calls go *out*, from many employees to one number. State is keyed by
that number (the call-campaign's keyed stage, fed by the user stage). A number that
``callback_min_callers`` distinct employees call within a sliding ``callback_window_ms`` is a
campaign (Medium); it is escalated to High when a caller then has a credential change, an
anomalous sign-in or an application consent (the user stage's ``CalleeSignal``s), and to
Critical when the number is also on the known-vishing list. Known help lines and vendors
(``callback_allowed_numbers``) never count, and calls that start within ``campaign_meeting_ms``
of two others are an all-hands dial-in to a bridge, not a campaign.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from correlator.keyed import NUMBER, CalleeSignal, KeyContext
from correlator.model import CallRecord, Evidence, Finding, Observables, Severity, TimelineEntry
from correlator.rules.base import Assessment, KeyedFinding, KeyedRule, RuleMeta
from correlator.rules.call_campaign import _peak, call_groups

META = RuleMeta(
    id="callback-campaign",
    title="Callback campaign: many employees call one outside number",
    description=(
        "At least N distinct employees place outbound calls to one external number within a "
        "sliding window (callback phishing); escalated when a caller then has a credential "
        "change, an anomalous sign-in or an application consent."
    ),
    attacks=("T1566.004", "T1598.004", "T1219"),
    default_severity=Severity.MEDIUM,
    remediation=(
        "Find and purge the e-mail that gave out the number; block the number for outbound "
        "calls in the Teams tenant or at the carrier.",
        "Ask every caller what they were told to do; for a caller with a credential change or "
        "a new sign-in since the call: revoke sessions, reset credentials through a known-good "
        "channel and check the device for remote-access tools.",
        "For a caller who consented to an application since the call: revoke the grant and the "
        "application's refresh tokens.",
    ),
)
CAMPAIGN, ESCALATED, CRITICAL = 50, 80, 95


@dataclass(frozen=True)
class Episode:
    calls: tuple[CallRecord, ...]
    peak: int  # most distinct callers inside one sliding window
    signals: tuple[CalleeSignal, ...]


def episodes(ctx: KeyContext) -> list[Episode]:
    cfg = ctx.config
    if ctx.name in cfg.callback_allowed_numbers:
        return []
    calls = [c for c in ctx.calls if c.external and c.direction == "outbound"]
    found = []
    for group in call_groups(calls, cfg.callback_window_ms, cfg.campaign_meeting_ms):
        ids = {c.id for c in group}
        signals = tuple(s for s in ctx.signals if s.call_id in ids)
        found.append(Episode(tuple(group), _peak(group, cfg.callback_window_ms), signals))
    return found


def _assess(ctx: KeyContext, ep: Episode) -> Assessment | None:
    if ep.peak < ctx.config.callback_min_callers:
        return None
    number, first = ctx.name, ep.calls[0]
    minutes = round((ep.calls[-1].start - first.start) / 60_000)
    callers = ", ".join(dict.fromkeys(c.user for c in ep.calls))
    text = f"{ep.peak} employees called {number} within {minutes} min ({callers})"
    evidence = [Evidence("call", "callback.callers", text, CAMPAIGN, first.start)]
    evidence += [Evidence("escalation", "callback.caller", s.text, 30, s.time, s.ref)
                 for s in ep.signals]  # fmt: skip
    known_bad = number in ctx.config.known_bad_numbers
    if known_bad:
        text = f"{number} is on the list of known vishing numbers"
        evidence.append(Evidence("call", "call.known_bad", text, 30, first.start))
    if ep.signals and known_bad:
        severity, score = Severity.CRITICAL, CRITICAL
    elif ep.signals or known_bad:
        severity, score = Severity.HIGH, ESCALATED
    else:
        severity, score = Severity.MEDIUM, CAMPAIGN
    families = tuple(sorted({e.family for e in evidence}))
    return Assessment(score, severity, tuple(evidence), families, None)


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


def _builder(
    ctx: KeyContext, ep: Episode, assessment: Assessment
) -> Callable[[str, str, int], Finding]:
    def build(uid: str, activity: str, revision: int) -> Finding:
        entries = [TimelineEntry(c.start, "call", f"call from {c.user} to {ctx.name}", c.id)
                   for c in ep.calls]  # fmt: skip
        entries += [TimelineEntry(s.time, s.kind, s.text, s.ref) for s in ep.signals]
        entries.sort(key=lambda e: (e.time, e.kind, e.ref or ""))
        # About the caller something happened to, else the first caller.
        user = ep.signals[0].user if ep.signals else ep.calls[0].user
        return Finding(
            uid=uid,
            rule_id=META.id,
            title=f"Callback campaign to {ctx.name}: {ep.peak} employees called it",
            user=user,
            severity=assessment.severity,
            score=assessment.score,
            activity=activity,  # type: ignore[arg-type]
            revision=revision,
            start_time=entries[0].time,
            end_time=entries[-1].time,
            summary="; ".join(e.sentence for e in assessment.evidence) + ".",
            evidence=assessment.evidence,
            timeline=tuple(entries),
            attacks=META.attacks,
            remediation=META.remediation,
            observables=Observables(phone_numbers=(ctx.name,)),
            families=assessment.families,
        )

    return build


RULE: KeyedRule = KeyedRule(META, (NUMBER,), evaluate)
