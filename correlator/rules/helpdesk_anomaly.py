"""helpdesk-anomaly: a helpdesk or admin credential change that breaks the desk's own pattern.

Per change, in the user stage: the target holds a privileged role; the change falls outside
the target's local working hours (time zone from the configuration, else from where the user
signs in; never UTC); the same account was requested by different caller numbers; the caller
failed or skipped verification. One reason is worth a look (Medium); two or more make it
High. Reset bursts per agent and across the tenant are counted in sliding windows in the
keyed stage (``helpdesk_burst.py``), under the same rule id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from correlator.config import DetectionConfig
from correlator.context import IncidentContext, Profile
from correlator.model import CredentialChange, Evidence, Severity
from correlator.rules.base import Assessment, Rule, RuleMeta
from correlator.rules.evidence import CHANGE_NAMES, change_label

META = RuleMeta(
    id="helpdesk-anomaly",
    title="Helpdesk anomaly: a credential change outside the desk's pattern",
    description=(
        "Resets of privileged accounts, outside the target's local working hours, for one "
        "account requested by different callers, or after failed or skipped verification; "
        "reset bursts per agent and tenant-wide in sliding windows."
    ),
    attacks=("T1098", "T1556.006", "T1598.004"),
    default_severity=Severity.MEDIUM,
    remediation=(
        "Call the account owner back on the number on file before the change is used.",
        "Review the agent's other changes in the same hours; suspend the agent's admin role if "
        "the account itself may be compromised.",
    ),
)
MEDIUM_SCORE, HIGH_SCORE, PER_REASON = 45, 70, 10
SKIPPED = frozenset({"none", "skipped"})


def by_the_desk(change: CredentialChange) -> bool:
    return change.by_other and change.actor_kind in ("helpdesk", "admin")


def user_zone(
    user: str, profile: Profile, config: DetectionConfig, cutoff: int
) -> tuple[tzinfo, str] | None:
    """The target's time zone: configured for the user or the tenant, else the solar offset
    the user was first seen signing in from before ``cutoff`` (where they live, not where they
    travel; a first-seen time does not depend on the order sign-ins arrive in)."""
    name = config.user_timezones.get(user) or config.default_timezone
    if name:
        return ZoneInfo(name), name
    known = [(seen.first, key) for key, seen in profile.offsets.items() if seen.first < cutoff]
    if not known:
        return None
    hours = int(min(known)[1])
    zone = UTC if hours == 0 else timezone(timedelta(hours=hours))
    return zone, f"UTC{hours:+d} from the user's sign-ins"


def _outside_hours(ctx: IncidentContext, change: CredentialChange) -> Evidence | None:
    zone = user_zone(ctx.incident.user, ctx.profile, ctx.config, change.time)
    if zone is None:
        return None
    local = datetime.fromtimestamp(change.time / 1000, zone[0])
    start, end = ctx.config.working_hours
    if local.weekday() < 5 and start <= local.hour < end:
        return None
    text = f"{CHANGE_NAMES[change.kind]} at {local:%a %H:%M} the target's local time ({zone[1]})"
    return Evidence("helpdesk", "helpdesk.outside_hours", text, PER_REASON, change.time, change.id)


def _callers(ctx: IncidentContext) -> Evidence | None:
    start = ctx.incident.first_time - ctx.config.caller_lookback_ms
    end = ctx.incident.last_time + ctx.config.window_ms
    tickets = [c for c in ctx.history if c.caller_number and start <= c.time <= end]
    numbers = sorted({c.caller_number or "" for c in tickets})
    if len(numbers) < 2:
        return None
    text = f"the account was requested from {len(numbers)} numbers: {', '.join(numbers)}"
    last = tickets[-1]
    return Evidence("helpdesk", "helpdesk.callers", text, PER_REASON, last.time, last.id)


def _verification(change: CredentialChange) -> Evidence | None:
    method = change.verification_method
    if change.source != "ticket" or not (change.caller_verified is False or method in SKIPPED):
        return None
    how = "failed" if change.caller_verified is False else "skipped"
    text = f"ticket {change.ticket_id or change.id}: the caller's verification {how}"
    return Evidence("helpdesk", "helpdesk.verification", text, PER_REASON, change.time, change.id)


def evaluate(ctx: IncidentContext) -> Assessment | None:
    reasons: list[Evidence] = []
    if ctx.privileged:
        text = "the target holds a privileged role"
        first = ctx.incident.anchor
        reasons.append(Evidence("helpdesk", "helpdesk.privileged", text, PER_REASON, first.time))
    anchor = ctx.incident.anchor
    for found in (_outside_hours(ctx, anchor), _callers(ctx)):
        if found is not None:
            reasons.append(found)
    reasons += [e for c in ctx.incident.changes if (e := _verification(c)) is not None][:1]
    if not reasons:
        return None
    kinds = {e.code for e in reasons}
    high = len(kinds) >= 2
    score = (HIGH_SCORE if high else MEDIUM_SCORE) + PER_REASON * (len(kinds) - (2 if high else 1))
    severity = Severity.HIGH if high else Severity.MEDIUM
    return Assessment(min(score, 100), severity, tuple(reasons), ("helpdesk",), None)


def title(ctx: IncidentContext) -> str:
    return f"Helpdesk anomaly: {change_label(ctx)} for {ctx.incident.user}"


def summary(ctx: IncidentContext, assessment: Assessment) -> str:
    who = ctx.incident.anchor.actor or "the helpdesk"
    return (
        f"{change_label(ctx)} by {who}: " + "; ".join(e.sentence for e in assessment.evidence) + "."
    )


def attacks(ctx: IncidentContext, assessment: Assessment) -> tuple[str, ...]:
    return ("T1098", "T1598.004") if ctx.incident.changes[0].source == "ticket" else ("T1098",)


RULE: Rule = Rule(META, evaluate, title, summary, attacks, by_the_desk)
