"""The rules keyed by one event of the user rather than by an incident: a successful sign-in
(mfa-fatigue) or an application consent (consent-after-call).

Whenever a user's event arrives, each such rule is offered the anchors it can affect: those up
to the rule's window after it (an earlier event that arrived late changes their reading) and
itself. Each anchor is read against everything stored before it, so the final result does not
depend on arrival order.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from correlator.config import DetectionConfig
from correlator.context import ConsentContext, Maturity, Profile, SignInWindow
from correlator.engine import baseline
from correlator.engine.join import signins_between
from correlator.engine.publish import publish_anchored
from correlator.engine.state import UserState
from correlator.model import AppConsent, Finding
from correlator.rules.base import Assessment, ConsentRule, SignInRule


def signin_rules(
    rules: Sequence[SignInRule], user: str, state: UserState, time: int, config: DetectionConfig
) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        span = rule.window(config)
        for facts in signins_between(state.recent, time, time + span):
            if not (facts.success and facts.interactive):
                continue
            before = signins_between(state.recent, facts.time - span, facts.time - 1)
            ctx = SignInWindow(
                user,
                facts,
                tuple(before),
                state.profile,
                _maturity_of(state.profile, facts.time - span, config),
                config,
                state.user_id,
            )
            anchor = (facts.id, facts.time)
            findings += _offer(
                rule.evaluate, rule.finding, ctx, rule.meta.id, anchor, state, config
            )
    return findings


def _maturity_of(profile: Profile, cutoff: int, config: DetectionConfig) -> Callable[[], Maturity]:
    return lambda: baseline.maturity(profile, cutoff, config)


def consent_rules(
    rules: Sequence[ConsentRule], user: str, state: UserState, time: int, config: DetectionConfig
) -> list[Finding]:
    findings: list[Finding] = []
    span = config.consent_window_ms
    for consent in _consents_between(state.consents, time, time + span):
        calls = tuple(c for c in state.calls if consent.time - span <= c.start <= consent.time)
        changes = tuple(c for c in state.changes if consent.time - span <= c.time <= consent.time)
        ctx = ConsentContext(user, consent, calls, changes, config, state.user_id)
        for rule in rules:
            anchor = (consent.id, consent.time)
            findings += _offer(
                rule.evaluate, rule.finding, ctx, rule.meta.id, anchor, state, config
            )
    return findings


def _consents_between(consents: list[AppConsent], start: int, end: int) -> list[AppConsent]:
    low = bisect.bisect_left(consents, start, key=lambda c: c.time)
    high = bisect.bisect_right(consents, end, key=lambda c: c.time)
    return consents[low:high]


class _HasUid(Protocol):
    def uid(self, rule_id: str) -> str: ...


_Ctx = TypeVar("_Ctx", bound=_HasUid)


def _offer(
    evaluate: Callable[[_Ctx], Assessment | None],
    finding: Callable[[_Ctx, Assessment, str, int], Finding],
    ctx: _Ctx,
    rule_id: str,
    anchor: tuple[str, int],
    state: UserState,
    config: DetectionConfig,
) -> list[Finding]:
    assessment = evaluate(ctx)
    if assessment is None:
        return []  # the usual answer: the finding's uid (a SHA-256) is not even computed

    def build(activity: str, revision: int) -> Finding:
        return finding(ctx, assessment, activity, revision)

    uid = ctx.uid(rule_id)
    return publish_anchored(uid, anchor, assessment, state.emitted, config, build)
