"""helpdesk-anomaly, keyed part: reset bursts per agent and across the tenant.

Counted in the keyed stage (key ``agent:<upn>`` or ``tenant:all``) over a sliding window of
``burst_window_ms``, as distinct target accounts (a reset logs a ticket and two audit records:
one account, not three), never in fixed clock-hour bins that split a burst in two. An agent
reaching ``burst_agent_min`` accounts is Medium, High at twice that or with a privileged target;
the tenant reaching ``burst_tenant_min`` is Medium.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from correlator.keyed import AGENT, TENANT, KeyContext
from correlator.model import CredentialChange, Evidence, Finding, Severity, TimelineEntry
from correlator.rules.base import Assessment, KeyedFinding, KeyedRule
from correlator.rules.helpdesk_anomaly import META

MEDIUM_SCORE, HIGH_SCORE = 50, 75


def _peak(changes: Sequence[CredentialChange], window: int) -> tuple[int, int]:
    """The most distinct targets inside one sliding window, and where that window starts."""
    best = (0, 0)
    for i, first in enumerate(changes):
        targets = {c.user for c in changes[i:] if c.time - first.time <= window}
        best = max(best, (len(targets), -i))
    return best[0], -best[1]


def _bursts(changes: Sequence[CredentialChange], window: int) -> list[list[CredentialChange]]:
    """Changes grouped while each comes within the window of the previous one."""
    groups: list[list[CredentialChange]] = []
    for change in changes:
        if groups and change.time - groups[-1][-1].time <= window:
            groups[-1].append(change)
        else:
            groups.append([change])
    return groups


def evaluate(ctx: KeyContext) -> list[KeyedFinding]:
    cfg, agent = ctx.config, ctx.key.startswith(AGENT)
    threshold = cfg.burst_agent_min if agent else cfg.burst_tenant_min
    found = []
    for burst in _bursts(ctx.changes, cfg.burst_window_ms):
        peak, start = _peak(burst, cfg.burst_window_ms)
        if peak < threshold:
            continue
        privileged = any(c.privileged_target for c in burst)
        high = agent and (peak >= 2 * threshold or privileged)
        who = f"agent {ctx.name}" if agent else "the helpdesk as a whole"
        minutes = cfg.burst_window_ms // 60_000
        text = f"{who} reset {peak} accounts within {minutes} min"
        text += " (a privileged account among them)" if privileged else ""
        evidence = (Evidence("helpdesk", "helpdesk.burst", text, peak, burst[start].time),)
        severity = Severity.HIGH if high else Severity.MEDIUM
        assessment = Assessment(
            HIGH_SCORE if high else MEDIUM_SCORE, severity, evidence, ("helpdesk",), None
        )
        members = frozenset(c.id for c in burst)
        build = _builder(ctx, burst, assessment)
        found.append(KeyedFinding(burst[0].id, burst[0].time, assessment, build, members))
    return found


def _builder(
    ctx: KeyContext, burst: list[CredentialChange], assessment: Assessment
) -> Callable[[str, str, int], Finding]:
    def build(uid: str, activity: str, revision: int) -> Finding:
        entries = tuple(
            TimelineEntry(c.time, "credential_change", f"{c.kind} for {c.user} by {c.actor}", c.id)
            for c in burst
        )
        return Finding(
            uid=uid,
            rule_id=META.id,
            title=f"Helpdesk reset burst: {assessment.evidence[0].sentence}",
            user=burst[0].actor or ctx.name,
            severity=assessment.severity,
            score=assessment.score,
            activity=activity,  # type: ignore[arg-type]
            revision=revision,
            start_time=burst[0].time,
            end_time=burst[-1].time,
            summary=assessment.evidence[0].sentence + ".",
            change_ids=tuple(c.id for c in burst),
            evidence=assessment.evidence,
            timeline=entries,
            attacks=META.attacks,
            remediation=META.remediation,
            families=assessment.families,
        )

    return build


RULE: KeyedRule = KeyedRule(META, (AGENT, TENANT), evaluate)
