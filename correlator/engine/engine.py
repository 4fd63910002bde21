"""The correlation engine: canonical events in (arrival order), findings out.

Pure: no clock, no network. Enrichment is injected (it reads local database files), and so is
where per-user state lives. Event time drives everything: a watermark (newest event time minus
the allowed lateness) decides what state may be forgotten.

The watermark is kept per user and advanced by that user's sign-ins only. A partition mixes many
users whose records reach it through differently lagging raw partitions, so one user's progress
must never expire another user's pending join; and the sparse topics (audits, tickets, calls) are
read far faster than the sign-in stream when a backlog is caught up, so a call a day ahead must
not expire the reset whose sign-ins are still on their way. It is the sign-in stream that has to
pass a change's window before the change can be forgotten.
"""

from __future__ import annotations

import bisect
import zlib
from collections import Counter
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from correlator.config import DetectionConfig
from correlator.engine import baseline
from correlator.engine.anchored import consent_rules, signin_rules
from correlator.engine.facts import to_facts
from correlator.engine.forward import forwards_for
from correlator.engine.join import (
    Incident,
    calls_before,
    follow_up_changes,
    group_incidents,
    insort_by_time,
    signins_between,
)
from correlator.engine.publish import publish
from correlator.engine.repository import MemoryStates, UserStates, state_horizon_ms
from correlator.engine.state import GeoPoint, SignInFacts, UserState
from correlator.engine.trim import trim_state
from correlator.errors import InvalidRecord
from correlator.identity import AliasMap
from correlator.keyed import KeyedEvent
from correlator.model import (
    AppConsent,
    CallRecord,
    CredentialChange,
    Event,
    Finding,
    NetworkInfo,
    SignIn,
)
from correlator.rules import registry
from correlator.rules.base import (
    AnyRule,
    ConsentRule,
    IncidentContext,
    KeyedRule,
    Rule,
    SignInRule,
)

NO_TIME = -(2**62)
_Timed = TypeVar("_Timed", CredentialChange, CallRecord, AppConsent)


class TooLate(InvalidRecord):
    """An event older than its user's newest sign-in minus the allowed lateness."""

    def __init__(self, event: Event, newest: int, lateness_ms: int) -> None:
        behind_h = (newest - event.time) / 3_600_000
        super().__init__(
            "too_late",
            f"{type(event).__name__} {event.id} is {behind_h:.1f} h behind its user's newest "
            f"sign-in; the allowed lateness is {lateness_ms / 3_600_000:g} h",
            field="time",
        )


class Enricher(Protocol):
    def network(self, signin: SignIn) -> NetworkInfo: ...


@dataclass
class EngineStats:
    events: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    late: int = 0
    join_matches: int = 0
    findings: Counter[str] = field(default_factory=Counter)  # by activity


class Engine:
    def __init__(
        self,
        config: DetectionConfig,
        *,
        enricher: Enricher | None = None,
        states: UserStates | None = None,
        aliases: AliasMap | None = None,
        privileged: Container[str] | None = None,
        rules: Sequence[AnyRule] | None = None,
    ) -> None:
        self.config = config
        self.rules = tuple(rules) if rules is not None else registry.select()
        self._rule_groups = _by_anchors([r for r in self.rules if isinstance(r, Rule)])
        self._signin_rules = [r for r in self.rules if isinstance(r, SignInRule)]
        self._consent_rules = [r for r in self.rules if isinstance(r, ConsentRule)]
        keyed = [r for r in self.rules if isinstance(r, KeyedRule)]
        self._forward_to = frozenset(p for r in keyed for p in r.prefixes)
        self.forwarded: list[KeyedEvent] = []  # for the keyed stages; see take_forwards
        self.enricher = enricher
        self.states: UserStates = (
            states if states is not None else MemoryStates(horizon_ms=state_horizon_ms(config))
        )
        self.aliases = aliases or AliasMap()
        self.max_time = NO_TIME  # newest event time seen by this engine (for metrics)
        self.stats = EngineStats()
        self._privileged: Container[str] = (
            privileged
            if privileged is not None
            else frozenset(u.lower() for u in config.privileged_users)
        )

    @property
    def watermark(self) -> int:
        """The engine-wide watermark: the newest event time seen minus the lateness."""
        return self.max_time - self.config.lateness_ms if self.max_time != NO_TIME else NO_TIME

    def user_watermark(self, state: UserState) -> int:
        return state.max_time - self.config.lateness_ms if state.max_time else NO_TIME

    def process_many(self, events: Iterable[Event]) -> list[Finding]:
        findings: list[Finding] = []
        for event in events:
            findings.extend(self.process(event))
        return findings

    def process(self, event: Event) -> list[Finding]:
        """Store the event and return the findings it creates or revises.

        Raises :class:`TooLate` for an event older than its user's watermark: it left the
        bound inside which arrival order cannot change the answer, so it is not stored (the
        caller dead-letters it, to be replayed) rather than folded in with a different result.
        """
        user = self.aliases.resolve(event.user)
        time = event.time
        state = self.states.get(user)
        if time < self.user_watermark(state):
            self.stats.late += 1
            raise TooLate(event, state.max_time, self.config.lateness_ms)
        if time > self.max_time:
            self.max_time = time
        if time > state.max_time and isinstance(event, SignIn):
            state.max_time = time
        if isinstance(event, SignIn):
            stored = self._add_signin(state, event)
        elif isinstance(event, CredentialChange):
            stored = self._add_change(state, event)
        elif isinstance(event, AppConsent):
            stored = _insert_new(state.consents, event, self.config.max_calls)
        else:
            stored = self._add_call(state, event)
        if not stored:
            self.stats.duplicates += 1
            return []
        name = type(event).__name__
        self.stats.events[name] = self.stats.events.get(name, 0) + 1
        self.states.mark_dirty(user)
        if self._forward_to:
            self.forwarded += forwards_for(event, state, self.config, self._forward_to)
        # Evaluate before trimming, so a change arriving later than the lateness still gets
        # one look at what the state holds (the unfamiliar sign-ins are kept longer for it).
        findings = self._evaluate(user, state) if self._may_matter(state, event) else []
        findings += self._anchored(user, state, event)
        trim_state(state, self.user_watermark(state), self.config)
        return findings

    def take_forwards(self) -> list[KeyedEvent]:
        """What the keyed stages need from the events processed since the last call."""
        out, self.forwarded = self.forwarded, []
        return out

    # -- storing each side of the join ------------------------------------------------------

    def _add_signin(self, state: UserState, signin: SignIn) -> bool:
        network = self.enricher.network(signin) if self.enricher is not None else None
        facts = to_facts(signin, network)
        if facts.interactive:
            if any(f.id == facts.id for f in state.recent):
                return False
            if baseline.unfamiliar(state.profile, facts, facts.time - self.config.skew_ms):
                facts.suspect = True
            insort_by_time(state.recent, facts)
            if len(state.recent) > self.config.max_recent_signins:
                del state.recent[0]
        elif not _first_sighting(state, facts):
            return False
        if facts.success:
            baseline.learn(state.profile, facts, self.config, locates=_locates_user(facts))
        if signin.user_id and not state.user_id:
            state.user_id = signin.user_id
        return True

    def _add_change(self, state: UserState, change: CredentialChange) -> bool:
        return _insert_new(state.changes, change, self.config.max_pending_changes)

    def _add_call(self, state: UserState, call: CallRecord) -> bool:
        return _insert_new(state.calls, call, self.config.max_calls)

    # -- evaluating incidents ----------------------------------------------------------------

    def _may_matter(self, state: UserState, event: Event) -> bool:
        """Could this event change an incident's assessment? Sign-ins after every window have
        no say (baseline maturity and travel look only backwards), and after a reset that is
        nearly all of them: skipping those keeps the 48 h retention of changes cheap."""
        if not state.changes:
            return False
        if not isinstance(event, SignIn):
            return True
        last_window_end = state.changes[-1].time + self.config.window_ms
        return event.time <= last_window_end + self.config.incident_gap_ms

    def _evaluate(self, user: str, state: UserState) -> list[Finding]:
        findings: list[Finding] = []
        for anchors, rules in self._rule_groups:
            incidents = group_incidents(user, state.changes, self.config, anchors)
            owner = {c.id: inc for inc in incidents for c in inc.changes}
            for incident in incidents:
                ctx = self._context(state, incident)
                if ctx.signins:
                    self.stats.join_matches += 1
                for rule in rules:
                    findings += self._assess(rule, ctx, state, owner)
        return findings

    def _anchored(self, user: str, state: UserState, event: Event) -> list[Finding]:
        found: list[Finding] = []
        if self._signin_rules and isinstance(event, SignIn) and event.interactive:
            found += signin_rules(self._signin_rules, user, state, event.time, self.config)
        if self._consent_rules and not isinstance(event, SignIn):
            found += consent_rules(self._consent_rules, user, state, event.time, self.config)
        for finding in found:
            self.stats.findings[finding.activity] += 1
        return found

    def _context(self, state: UserState, incident: Incident) -> IncidentContext:
        start, end = incident.window(self.config)
        signins = tuple(signins_between(state.recent, start, end))
        privileged = incident.user in self._privileged or any(
            c.privileged_target for c in incident.changes
        )
        return IncidentContext(
            incident=incident,
            signins=signins,
            calls=tuple(calls_before(state.calls, incident, self.config)),
            follow_ups=tuple(follow_up_changes(state.changes, incident, self.config)),
            profile=state.profile,
            maturity=baseline.maturity(
                state.profile, incident.first_time - self.config.skew_ms, self.config
            ),
            privileged=privileged,
            config=self.config,
            previous_point=lambda t: _previous_point(state, t),
            history=tuple(state.changes),
        )

    def _assess(
        self, rule: Rule, ctx: IncidentContext, state: UserState, owner: dict[str, Incident]
    ) -> list[Finding]:
        assessment = rule.evaluate(ctx)
        if assessment is None:
            return []
        out = publish(rule, ctx, assessment, state.emitted, owner, self.config)
        for finding in out:
            self.stats.findings[finding.activity] += 1
        return out


def _by_anchors(
    rules: Sequence[Rule],
) -> list[tuple[Callable[[CredentialChange], bool], list[Rule]]]:
    """Rules that open incidents on the same changes share one grouping and one context."""
    groups: list[tuple[Callable[[CredentialChange], bool], list[Rule]]] = []
    for rule in rules:
        for anchors, members in groups:
            if anchors is rule.anchors:
                members.append(rule)
                break
        else:
            groups.append((rule.anchors, [rule]))
    return groups


def _insert_new(events: list[_Timed], event: _Timed, limit: int) -> bool:
    """Insert in (time, id) order unless already there; keep at most ``limit``, newest."""
    if any(e.id == event.id for e in events):
        return False
    bisect.insort(events, event, key=lambda e: (e.time, e.id))
    if len(events) > limit:
        del events[0]
    return True


def _first_sighting(state: UserState, facts: SignInFacts) -> bool:
    """Dedup for sign-ins not kept in ``recent``: a small bounded set of id hashes."""
    key = zlib.crc32(facts.id.encode())
    if key in state.seen_ids:
        return False
    state.seen_ids[key] = facts.time
    if len(state.seen_ids) > 16:
        # Insertion order is arrival order: forget the first seen, not the oldest event time.
        del state.seen_ids[next(iter(state.seen_ids))]
    return True


def _locates_user(facts: SignInFacts) -> bool:
    """Only interactive sign-ins from the user's own network say where the user is."""
    return facts.interactive and not facts.anonymizer and not facts.corporate


def _previous_point(state: UserState, time: int) -> GeoPoint | None:
    best: GeoPoint | None = None
    for point in state.profile.geo:
        if point.time < time and (best is None or point.time > best.time):
            best = point
    for facts in state.recent:
        if facts.time >= time:
            break
        if (
            facts.success
            and _locates_user(facts)
            and facts.latitude is not None
            and (best is None or facts.time > best.time)
        ):
            assert facts.longitude is not None
            best = GeoPoint(
                facts.time, facts.latitude, facts.longitude, facts.accuracy_km or 0.0, facts.country
            )
    return best
