"""Evidence for account takeover, one small function per family, each with its sentence.

Families are independent lines of evidence: a rule needs several of them before it calls an
incident high-confidence, so one noisy signal (a new mobile carrier) never decides alone.
"""

from __future__ import annotations

from correlator.context import (
    SignInFacts,
    distance_km,
    exit_days,
    known_before,
    learned_egress,
)
from correlator.model import VPN_APP, CredentialChange, Evidence
from correlator.rules.base import IncidentContext

CHANGE_NAMES = {
    "password_reset": "password reset",
    "mfa_reset": "MFA reset",
    "mfa_method_added": "MFA method registration",
    "mfa_method_removed": "MFA method removal",
    "temporary_access_pass": "Temporary Access Pass",
    "phone_changed": "phone number change",
    "self_service_reset": "self-service password reset",
}


def relative(time: int, reference: int, what: str = "the change") -> str:
    minutes = round(abs(time - reference) / 60_000)
    if minutes == 0:
        return f"at the time of {what}"
    unit = f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    return f"{unit} {'after' if time >= reference else 'before'} {what}"


def change_label(ctx: IncidentContext) -> str:
    return " + ".join(dict.fromkeys(CHANGE_NAMES[c.kind] for c in ctx.incident.changes))


def device_evidence(facts: SignInFacts, ctx: IncidentContext) -> list[Evidence]:
    w, cutoff = ctx.config.weights, ctx.incident.first_time - ctx.config.skew_ms
    when = relative(facts.time, ctx.incident.first_time, "the " + change_label(ctx))
    found: list[Evidence] = []
    if not facts.device_id:
        if facts.app != VPN_APP:  # gateways report no device identity: its absence says nothing
            what = "an unregistered device (no device id)"
            found.append(
                Evidence(
                    "device",
                    "device.missing",
                    f"sign-in from {what} {when}",
                    w.device_missing,
                    facts.time,
                    facts.id,
                )
            )
    elif not known_before(ctx.profile, "devices", facts.device_id, cutoff):
        name = facts.device_name or facts.device_id
        if facts.managed:
            found.append(
                Evidence(
                    "device",
                    "device.new_managed",
                    f"managed device {name} first seen {when}",
                    w.device_new_managed,
                    facts.time,
                    facts.id,
                )
            )
        else:
            found.append(
                Evidence(
                    "device",
                    "device.new",
                    f"unmanaged device {name} first seen {when}",
                    w.device_new_unmanaged,
                    facts.time,
                    facts.id,
                )
            )
    if facts.agent and not known_before(ctx.profile, "agents", facts.agent, cutoff):
        found.append(
            Evidence(
                "device",
                "agent.new",
                f"browser/OS '{facts.agent.replace('|', ' on ')}' never used before",
                w.agent_new,
                facts.time,
                facts.id,
            )
        )
    return found


def network_evidence(facts: SignInFacts, ctx: IncidentContext) -> list[Evidence]:
    if facts.corporate or facts.internal:
        return []
    shared = learned_egress(ctx.config, facts)
    if shared:
        # A corporate exit nobody declared: not new, worth no points, but the alert says so.
        org = f" ({facts.as_org})" if facts.as_org else ""
        text = f"network AS{facts.asn}{org} is a corporate egress shared by {shared} users"
        return [Evidence("network", "network.learned_egress", text, 0, facts.time, facts.id)]
    w, cutoff = ctx.config.weights, ctx.incident.first_time - ctx.config.skew_ms
    found: list[Evidence] = []
    if facts.country and not known_before(ctx.profile, "countries", facts.country, cutoff):
        place = f"{facts.city}, {facts.country}" if facts.city else facts.country
        found.append(
            Evidence(
                "network",
                "country.new",
                f"country {facts.country} never seen for this user (from {place})",
                w.country_new,
                facts.time,
                facts.id,
            )
        )
    asn = str(facts.asn) if facts.asn is not None else None
    if asn and not known_before(ctx.profile, "asns", asn, cutoff):
        org = f" ({facts.as_org})" if facts.as_org else ""
        found.append(
            Evidence(
                "network",
                "asn.new",
                f"network AS{asn}{org} never seen before",
                w.asn_new,
                facts.time,
                facts.id,
            )
        )
    if facts.prefix and not known_before(ctx.profile, "prefixes", facts.prefix, cutoff):
        found.append(
            Evidence(
                "network",
                "prefix.new",
                f"address range {facts.prefix} never seen before",
                w.prefix_new,
                facts.time,
                facts.id,
            )
        )
    return found


def anonymizer_evidence(facts: SignInFacts, ctx: IncidentContext) -> list[Evidence]:
    if facts.corporate:
        return []
    w = ctx.config.weights
    found: list[Evidence] = []
    cutoff = ctx.incident.first_time - ctx.config.skew_ms
    if facts.anonymizer and "tor" not in facts.anonymizer:
        days = exit_days(ctx.profile, facts.prefix, cutoff)
        if days >= ctx.config.exit_min_days:
            # Worth no points, but the alert says why the VPN did not count.
            text = (
                f"{', '.join(facts.anonymizer)} exit {facts.prefix} is the user's own: "
                f"signed in through it on {days} days before"
            )
            return [Evidence("anonymizer", "anonymizer.own_exit", text, 0, facts.time, facts.id)]
    if facts.anonymizer:
        kinds = ", ".join(facts.anonymizer)
        org = f" ({facts.as_org})" if facts.as_org else ""
        weight = w.tor if "tor" in facts.anonymizer else w.anonymizer
        found.append(
            Evidence(
                "anonymizer",
                "anonymizer",
                f"sign-in through {kinds}{org} from {facts.ip}",
                weight,
                facts.time,
                facts.id,
            )
        )
    for name in facts.intel:
        found.append(
            Evidence(
                "anonymizer",
                "intel.hit",
                f"{facts.ip} is on intel list {name}",
                w.anonymizer,
                facts.time,
                facts.id,
            )
        )
    return found


def travel_evidence(facts: SignInFacts, ctx: IncidentContext) -> list[Evidence]:
    # Anonymizer and corporate egress positions say where the exit is, not where the user is.
    if facts.corporate or facts.anonymizer or facts.latitude is None or facts.longitude is None:
        return []
    before = ctx.previous_point(facts.time)
    if before is None:
        return []
    km = distance_km(before.latitude, before.longitude, facts.latitude, facts.longitude)
    km -= before.accuracy_km + (facts.accuracy_km or 0.0)
    hours = max(facts.time - before.time, 60_000) / 3_600_000
    speed = km / hours
    if km < ctx.config.travel_min_km or speed <= ctx.config.travel_max_kmh:
        return []
    text = (
        f"impossible travel: {km:,.0f} km from the previous sign-in "
        f"({before.country or 'unknown'}) in {hours * 60:,.0f} min ({speed:,.0f} km/h)"
    )
    return [
        Evidence(
            "travel", "travel.impossible", text, ctx.config.weights.travel, facts.time, facts.id
        )
    ]


def risk_evidence(facts: SignInFacts, ctx: IncidentContext) -> list[Evidence]:
    w = ctx.config.weights
    weights = {"high": w.risk_high, "medium": w.risk_medium, "low": w.risk_low}
    found: list[Evidence] = []
    level = (facts.risk_level or "").lower()
    if level in weights:
        found.append(
            Evidence(
                "idp_risk",
                "risk.level",
                f"Entra ID rated the sign-in risk {level}",
                weights[level],
                facts.time,
                facts.id,
            )
        )
    if facts.risk_events:
        found.append(
            Evidence(
                "idp_risk",
                "risk.events",
                f"Entra ID risk detections: {', '.join(facts.risk_events)}",
                w.risk_events,
                facts.time,
                facts.id,
            )
        )
    return found


SIGNIN_FAMILIES = (
    device_evidence,
    network_evidence,
    anonymizer_evidence,
    travel_evidence,
    risk_evidence,
)


def signin_evidence(facts: SignInFacts, ctx: IncidentContext) -> list[Evidence]:
    return [e for family in SIGNIN_FAMILIES for e in family(facts, ctx)]


def call_evidence(ctx: IncidentContext) -> list[Evidence]:
    w, first = ctx.config.weights, ctx.incident.first_time
    found: list[Evidence] = []
    numbers = {c.caller_number for c in ctx.incident.changes if c.caller_number}
    for call in ctx.calls:
        if not call.external or call.direction != "inbound":
            continue
        bad = call.caller_number in ctx.config.known_bad_numbers
        number = call.caller_number or "an unknown number"
        text = f"inbound external call from {number} to the user {relative(call.start, first)}"
        if call.caller_number in numbers:
            text += " (the same number the helpdesk ticket names)"
        found.append(
            Evidence(
                "call",
                "call.known_bad" if bad else "call.external",
                text + (" — a known-bad number" if bad else ""),
                w.call_known_bad if bad else w.call_external,
                call.start,
                call.id,
            )
        )
    return found + _verification_evidence(ctx.incident.changes, ctx)


def _verification_evidence(
    changes: tuple[CredentialChange, ...], ctx: IncidentContext
) -> list[Evidence]:
    weak = set(ctx.config.weak_verification_methods)
    for change in changes:
        method = change.verification_method
        if change.source == "ticket" and (method in weak or change.caller_verified is False):
            how = f"by {method.replace('_', ' ')}" if method else "without verification"
            text = (
                f"helpdesk ticket {change.ticket_id or change.id}: caller verified {how}, "
                "which public information can defeat"
            )
            return [
                Evidence(
                    "call",
                    "verification.weak",
                    text,
                    ctx.config.weights.weak_verification,
                    change.time,
                    change.id,
                )
            ]
    return []


def follow_up_evidence(ctx: IncidentContext) -> list[Evidence]:
    first = ctx.incident.first_time
    return [
        Evidence(
            "mfa",
            "mfa.added_after",
            f"new MFA method{f' ({c.method})' if c.method else ''} registered by the user "
            f"{relative(c.time, first, 'the ' + change_label(ctx))}",
            ctx.config.weights.mfa_added_after,
            c.time,
            c.id,
        )
        for c in ctx.follow_ups
        if c.kind in ("mfa_method_added", "phone_changed")
    ][:1]


def privilege_evidence(ctx: IncidentContext) -> list[Evidence]:
    if not ctx.privileged:
        return []
    return [
        Evidence(
            "privilege",
            "target.privileged",
            "the target holds a privileged role",
            ctx.config.weights.privileged_target,
            ctx.incident.first_time,
        )
    ]


def incident_evidence(ctx: IncidentContext) -> list[Evidence]:
    return call_evidence(ctx) + follow_up_evidence(ctx) + privilege_evidence(ctx)
