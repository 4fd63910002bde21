"""Turn a rule's assessment of an incident into a Finding that explains itself.

The timeline and observables are common to every rule; the title, summary, techniques and
remediation are the rule's own.
"""

from __future__ import annotations

import hashlib

import msgspec

from correlator.context import SignInFacts
from correlator.model import (
    Finding,
    Observables,
    SignInView,
    TimelineEntry,
)
from correlator.rules.base import Assessment, IncidentContext, Rule
from correlator.rules.evidence import CHANGE_NAMES

MAX_TIMELINE_SIGNINS = 8


def _change_text(ctx: IncidentContext) -> list[TimelineEntry]:
    entries = []
    for change in ctx.incident.changes:
        who = f" by {change.actor}" if change.actor else ""
        via = f" (ticket {change.ticket_id})" if change.ticket_id else ""
        text = f"{CHANGE_NAMES[change.kind]}{who}{via}: {change.activity or change.kind}"
        entries.append(TimelineEntry(change.time, "credential_change", text, change.id))
    for change in ctx.follow_ups:
        text = f"user's own {CHANGE_NAMES[change.kind]}: {change.activity or change.kind}"
        entries.append(TimelineEntry(change.time, "credential_change", text, change.id))
    return entries


def _signin_text(facts: SignInFacts) -> str:
    outcome = "successful" if facts.success else f"failed ({facts.error_code})"
    kind = "interactive" if facts.interactive else "non-interactive"
    where = ", ".join(p for p in (facts.city, facts.country) if p) or "unknown location"
    net = f" AS{facts.asn}" if facts.asn is not None else ""
    device = facts.device_name or facts.device_id or "no device id"
    app = f" to {facts.app}" if facts.app else ""
    return f"{outcome} {kind} sign-in{app} from {facts.ip or 'unknown IP'} ({where}{net}), {device}"


def timeline(ctx: IncidentContext, assessment: Assessment) -> tuple[TimelineEntry, ...]:
    entries = _change_text(ctx)
    for call in ctx.calls:
        origin = "external" if call.external else "internal"
        text = f"{call.direction} {origin} call from {call.caller_number or 'unknown number'}"
        entries.append(TimelineEntry(call.start, "call", text, call.id))
    shown = list(ctx.signins[:MAX_TIMELINE_SIGNINS])
    if assessment.primary is not None and assessment.primary not in shown:
        shown.append(assessment.primary)
    entries += [TimelineEntry(s.time, "signin", _signin_text(s), s.id) for s in shown]
    return tuple(sorted(entries, key=lambda e: (e.time, e.kind, e.ref or "")))


def _observables(ctx: IncidentContext, primary: SignInFacts | None) -> Observables:
    ips = [primary.ip] if primary and primary.ip else []
    devices = [primary.device_name or primary.device_id] if primary else []
    phones = [c.caller_number for c in ctx.calls if c.caller_number]
    phones += [c.caller_number for c in ctx.incident.changes if c.caller_number]
    agents = [primary.user_agent] if primary and primary.user_agent else []
    return Observables(
        ips=tuple(dict.fromkeys(ips)),
        devices=tuple(d for d in dict.fromkeys(devices) if d),
        phone_numbers=tuple(dict.fromkeys(phones)),
        user_agents=tuple(dict.fromkeys(agents)),
    )


def _view(facts: SignInFacts | None) -> SignInView | None:
    if facts is None:
        return None
    return SignInView(
        id=facts.id,
        time=facts.time,
        ip=facts.ip,
        country=facts.country,
        city=facts.city,
        latitude=facts.latitude,
        longitude=facts.longitude,
        asn=facts.asn,
        as_org=facts.as_org,
        device_id=facts.device_id,
        device_name=facts.device_name,
        device_os=facts.device_os,
        user_agent=facts.user_agent,
        app=facts.app,
        success=facts.success,
    )


_content = msgspec.msgpack.Encoder()


def fingerprint(finding: Finding) -> int:
    """What the alert says, less its identity and version: equal prints need no update.

    Everything the SIEM would show counts (evidence sentences, callees, observed numbers,
    timeline), so a late event that only adds to what an alert says still revises it, and
    the last revision is the same whatever order the events arrived in.
    """
    neutral = msgspec.structs.replace(
        finding, uid="", activity="create", revision=1, superseded_by=None
    )
    digest = hashlib.blake2b(_content.encode(neutral), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def build_finding(
    rule: Rule, ctx: IncidentContext, assessment: Assessment, *, activity: str, revision: int
) -> Finding:
    incident, meta = ctx.incident, rule.meta
    entries = timeline(ctx, assessment)
    times = [incident.first_time] + [e.time for e in entries]
    return Finding(
        uid=incident.uid(meta.id),
        rule_id=meta.id,
        title=rule.title(ctx),
        user=incident.user,
        severity=assessment.severity,
        score=assessment.score,
        activity=activity,  # type: ignore[arg-type]
        revision=revision,
        start_time=min(times),
        end_time=max(times),
        summary=rule.summary(ctx, assessment),
        change_ids=tuple(c.id for c in incident.changes),
        changes=incident.changes,
        signin=_view(assessment.primary),
        evidence=assessment.evidence,
        timeline=entries,
        attacks=rule.attacks(ctx, assessment),
        remediation=meta.remediation,
        observables=_observables(ctx, assessment.primary),
        baseline_mature=ctx.maturity.mature,
        families=assessment.families,
        user_id=incident.anchor.target_id,
    )
