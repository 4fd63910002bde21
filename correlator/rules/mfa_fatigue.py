"""mfa-fatigue: push after push denied or left unanswered, then one is approved.

The attacker has the password and keeps signing in until the tired (or phoned and persuaded)
user approves a prompt. Entra logs each refused prompt as a failed sign-in: error 500121 (or
50074) whose details say "MFA denied; user declined the authentication" or "...did not respond
to mobile app notification". At least ``fatigue_min_denials`` of those inside
``fatigue_window_ms`` before a successful interactive sign-in make a finding: High when the
success comes from a network or device the user never used (the attacker's side of the
prompt), Medium when it comes from the user's own laptop and network (the user retrying).
"""

from __future__ import annotations

from correlator.config import DetectionConfig
from correlator.context import SignInFacts, SignInWindow, known_before, learned_egress
from correlator.model import Evidence, Finding, Observables, Severity, SignInView, TimelineEntry
from correlator.rules.base import Assessment, RuleMeta, SignInRule

META = RuleMeta(
    id="mfa-fatigue",
    title="MFA fatigue: repeated denied or unanswered prompts, then an approval",
    description=(
        "Many MFA denials or timeouts for one user (Entra 500121/50074 with 'denied' or "
        "'did not respond' details), then a successful sign-in."
    ),
    attacks=("T1621", "T1078.004"),
    default_severity=Severity.HIGH,
    remediation=(
        "Ask the user, on a known-good channel, whether they approved the prompt and why.",
        "Revoke the user's sessions and reset the password: the attacker already holds it.",
        "Turn on number matching and additional context in Microsoft Authenticator.",
    ),
)
FATIGUE_CODES = frozenset({500121, 50074})
_DENIED = ("denied", "declined", "did not respond", "timed out", "timeout")
MEDIUM_SCORE, HIGH_SCORE, PER_EXTRA_DENIAL, UNFAMILIAR_POINTS = 45, 70, 3, 20


def is_denial(facts: SignInFacts) -> bool:
    if facts.success or facts.error_code not in FATIGUE_CODES or not facts.error_detail:
        return False
    detail = facts.error_detail.lower()
    return any(word in detail for word in _DENIED)


def _unfamiliar(ctx: SignInWindow, cutoff: int) -> list[Evidence]:
    s, found = ctx.signin, []
    if s.anonymizer and not s.corporate:
        found.append(f"the approved sign-in came through {', '.join(s.anonymizer)} ({s.ip})")
    if not s.device_id or not known_before(ctx.profile, "devices", s.device_id, cutoff):
        found.append(f"from a device never seen before ({s.device_name or 'no device id'})")
    if not (s.corporate or s.internal or learned_egress(ctx.config, s)):
        if s.country and not known_before(ctx.profile, "countries", s.country, cutoff):
            found.append(f"from country {s.country}, never seen for this user")
        asn = str(s.asn) if s.asn is not None else None
        if asn and not known_before(ctx.profile, "asns", asn, cutoff):
            found.append(f"from network AS{asn} ({s.as_org or 'unknown'}), never seen before")
    return [Evidence("network", "fatigue.unfamiliar", text, UNFAMILIAR_POINTS, s.time, s.id)
            for text in found]  # fmt: skip


def evaluate(ctx: SignInWindow) -> Assessment | None:
    denials = [f for f in ctx.before if is_denial(f)]
    if len(denials) < ctx.config.fatigue_min_denials or not ctx.signin.success:
        return None
    minutes = max(1, round((ctx.signin.time - denials[0].time) / 60_000))
    text = (
        f"{len(denials)} MFA prompts denied or unanswered in {minutes} min, "
        f"then approved ({denials[-1].error_detail})"
    )
    burst = Evidence("mfa", "fatigue.denials", text, HIGH_SCORE, denials[0].time, ctx.signin.id)
    unfamiliar = _unfamiliar(ctx, denials[0].time - ctx.config.skew_ms)
    extra = PER_EXTRA_DENIAL * (len(denials) - ctx.config.fatigue_min_denials)
    if unfamiliar and ctx.maturity.mature:
        severity, score = Severity.HIGH, min(100, HIGH_SCORE + extra + UNFAMILIAR_POINTS)
    else:
        severity, score = Severity.MEDIUM, min(HIGH_SCORE - 1, MEDIUM_SCORE + extra)
    notes = () if ctx.maturity.mature else ("baseline not yet established",)
    families = ("mfa", "network") if unfamiliar else ("mfa",)
    return Assessment(score, severity, (burst, *unfamiliar), families, ctx.signin, notes)


def window(config: DetectionConfig) -> int:
    return config.fatigue_window_ms


def finding(ctx: SignInWindow, assessment: Assessment, activity: str, revision: int) -> Finding:
    s = ctx.signin
    denials = [f for f in ctx.before if is_denial(f)]
    entries = [
        TimelineEntry(f.time, "signin", f"MFA prompt refused: {f.error_detail} ({f.ip})", f.id)
        for f in denials
    ]
    entries.append(TimelineEntry(s.time, "signin", f"successful sign-in from {s.ip}", s.id))
    sentences = "; ".join(e.sentence for e in assessment.evidence)
    notes = "".join(f" Note: {n}." for n in assessment.notes)
    ips = tuple(dict.fromkeys(ip for ip in [s.ip, *(f.ip for f in denials)] if ip))
    return Finding(
        uid=ctx.uid(META.id),
        rule_id=META.id,
        title=f"MFA fatigue: prompts refused, then approved, for {ctx.user}",
        user=ctx.user,
        severity=assessment.severity,
        score=assessment.score,
        activity=activity,  # type: ignore[arg-type]
        revision=revision,
        start_time=denials[0].time,
        end_time=s.time,
        summary=f"{ctx.user}: {sentences}.{notes}",
        signin=SignInView(id=s.id, time=s.time, ip=s.ip, country=s.country, city=s.city,
                          asn=s.asn, as_org=s.as_org, device_id=s.device_id,
                          device_name=s.device_name, user_agent=s.user_agent, app=s.app),
        evidence=assessment.evidence,
        timeline=tuple(entries),
        attacks=META.attacks,
        remediation=META.remediation,
        observables=Observables(ips=ips, user_agents=(s.user_agent,) if s.user_agent else ()),
        baseline_mature=ctx.maturity.mature,
        families=assessment.families,
        user_id=ctx.user_id,
    )  # fmt: skip


RULE: SignInRule = SignInRule(META, window, evaluate, finding)
