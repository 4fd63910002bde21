"""What the user stage forwards to the keyed stages, from the events and the user's state.

Calls go to their caller number's key, helpdesk changes to the agent's and the tenant's key,
and a change or an anomalous sign-in of a user who was called from outside shortly before
becomes a ``CalleeSignal`` for that number; so does an application consent of a user who had
just dialled an outside number (callback phishing talks the caller into approving an app).
Like the join, each pair is found by whichever of its two events arrives second, so the keyed
stage receives the same set in any order; ids are deterministic, so a re-delivered batch only
repeats what the keyed stage already holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from correlator.config import DetectionConfig
from correlator.context import SignInFacts, known_before, learned_egress, trusted_app
from correlator.engine.state import UserState
from correlator.keyed import (
    AGENT,
    NUMBER,
    TENANT,
    TENANT_KEY,
    CalleeSignal,
    KeyedEvent,
    agent_key,
    number_key,
    signal_id,
)
from correlator.model import AppConsent, CallRecord, CredentialChange, Event, SignIn


def forwards_for(
    event: Event, state: UserState, config: DetectionConfig, prefixes: frozenset[str]
) -> list[KeyedEvent]:
    if isinstance(event, SignIn):  # nearly every event; and most users had no call
        if not state.calls or NUMBER not in prefixes:
            return []
        if not event.interactive or not event.success:
            return []
        return _signin(event, state, config)
    if isinstance(event, CallRecord):
        return _call(event, state, config, prefixes)
    if isinstance(event, CredentialChange):
        return _change(event, state, config, prefixes)
    if isinstance(event, AppConsent):
        return _consent(event, state, config, prefixes)
    return []


def _signin(event: SignIn, state: UserState, config: DetectionConfig) -> list[KeyedEvent]:
    facts = next((f for f in state.recent if f.id == event.id), None)
    if facts is None:
        return []
    calls = [c for c in _outside_calls(state.calls) if _follows(c, facts.time, config)]
    return [_signin_signal(c, facts, state) for c in calls if _anomalous(facts, state, c, config)]


def _outside_calls(calls: Iterable[CallRecord]) -> list[CallRecord]:
    # Outbound calls too: callback phishing makes employees dial the attacker's number. Each
    # rule keeps the direction it counts (signals name their call).
    return [
        c
        for c in calls
        if c.external and c.direction in ("inbound", "outbound") and c.caller_number
    ]


def _follows(call: CallRecord, time: int, config: DetectionConfig) -> bool:
    return call.start <= time <= call.start + config.campaign_escalation_ms


def _call(
    call: CallRecord, state: UserState, config: DetectionConfig, prefixes: frozenset[str]
) -> list[KeyedEvent]:
    if NUMBER not in prefixes or not _outside_calls([call]):
        return []
    out = [KeyedEvent(number_key(call.caller_number or ""), call)]
    out += [_change_signal(call, c) for c in state.changes if _follows(call, c.time, config)]
    out += [
        _signin_signal(call, f, state)
        for f in state.recent
        if f.success and _follows(call, f.time, config) and _anomalous(f, state, call, config)
    ]
    if call.direction == "outbound":
        out += [
            _consent_signal(call, k)
            for k in state.consents
            if _follows(call, k.time, config) and not trusted_app(config, k)
        ]
    return out


def _change(
    change: CredentialChange, state: UserState, config: DetectionConfig, prefixes: frozenset[str]
) -> list[KeyedEvent]:
    out: list[KeyedEvent] = []
    if NUMBER in prefixes:
        if change.caller_number and change.source == "ticket":
            out.append(KeyedEvent(number_key(change.caller_number), change))
        calls = _outside_calls(state.calls)
        out += [_change_signal(c, change) for c in calls if _follows(c, change.time, config)]
    if change.by_other and change.actor and change.actor_kind in ("helpdesk", "admin"):
        if AGENT in prefixes:
            out.append(KeyedEvent(agent_key(change.actor), change))
        if TENANT in prefixes:
            out.append(KeyedEvent(TENANT_KEY, change))
    return out


def _consent(
    consent: AppConsent, state: UserState, config: DetectionConfig, prefixes: frozenset[str]
) -> list[KeyedEvent]:
    # Only after a call the user placed: a consent after an inbound call is consent-after-
    # call's own finding, and the inbound campaign does not count it.
    if NUMBER not in prefixes or trusted_app(config, consent):
        return []
    calls = [c for c in _outside_calls(state.calls) if c.direction == "outbound"]
    return [_consent_signal(c, consent) for c in calls if _follows(c, consent.time, config)]


def _anomalous(
    facts: SignInFacts, state: UserState, call: CallRecord, config: DetectionConfig
) -> bool:
    """A sign-in from a device and a network the user had not used before the call."""
    if facts.corporate or facts.internal or learned_egress(config, facts):
        return False
    profile, cutoff = state.profile, call.start
    if facts.device_id and known_before(profile, "devices", facts.device_id, cutoff):
        return False
    new_network = not known_before(profile, "countries", facts.country, cutoff) or (
        facts.asn is not None and not known_before(profile, "asns", str(facts.asn), cutoff)
    )
    return bool(facts.anonymizer) or new_network


def _minutes(later: int, call: CallRecord) -> str:
    return f"{round((later - call.start) / 60_000)} min after the call"


def _change_signal(call: CallRecord, change: CredentialChange) -> KeyedEvent:
    who = f" by {change.actor}" if change.by_other and change.actor else ""
    text = f"{change.kind.replace('_', ' ')}{who} for {change.user}, {_minutes(change.time, call)}"
    number = call.caller_number or ""
    signal = CalleeSignal(
        signal_id(call.id, change.id), change.time, number, change.user, call.id,
        "credential_change", change.id, text,
    )  # fmt: skip
    return KeyedEvent(number_key(number), signal)


def _signin_signal(call: CallRecord, facts: SignInFacts, state: UserState) -> KeyedEvent:
    where = ", ".join(p for p in (facts.country, facts.as_org, *facts.anonymizer) if p)
    text = f"sign-in by {call.user} from a new device and network ({where or facts.ip}), "
    text += _minutes(facts.time, call)
    number = call.caller_number or ""
    signal = CalleeSignal(
        signal_id(call.id, facts.id), facts.time, number, call.user, call.id,
        "anomalous_signin", facts.id, text,
    )  # fmt: skip
    return KeyedEvent(number_key(number), signal)


def _consent_signal(call: CallRecord, consent: AppConsent) -> KeyedEvent:
    app = consent.app or consent.app_id or "an application"
    scopes = " ".join(consent.permissions) or "no scopes listed"
    text = f"consent by {consent.user} to {app} ({scopes}), {_minutes(consent.time, call)}"
    number = call.caller_number or ""
    signal = CalleeSignal(
        signal_id(call.id, consent.id), consent.time, number, consent.user, call.id,
        "app_consent", consent.id, text,
    )  # fmt: skip
    return KeyedEvent(number_key(number), signal)
