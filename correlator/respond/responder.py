"""One alert in, what to publish out: the action record, and the alert revision saying so.

The Graph calls, the ledger and the rate limit are injected, and the clock is passed in: the
decision logic runs the same in tests, in ``correlator respond`` and in any other runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from correlator.respond.alert import annotated, is_response_revision, read_alert, subject_of
from correlator.respond.ledger import Ledger
from correlator.respond.policy import (
    ALREADY_ACTED,
    INTERRUPTED,
    PROTECTED,
    RATE_LIMITED,
    Action,
    Decision,
    RateLimit,
    RateWindow,
    ResponsePolicy,
    Subject,
    decide,
)

# Withheld findings worth an alert revision: the SOC must know why nothing was done.
_ANNOUNCED = frozenset({PROTECTED, RATE_LIMITED, INTERRUPTED})


class Actions(Protocol):
    def run(self, actions: tuple[Action, ...], subject: Subject) -> dict[str, str]: ...


@dataclass(frozen=True)
class Output:
    kind: str  # "action" (the actions topic) or "alert" (the alerts topic)
    key: bytes
    value: bytes


Counter = Callable[[str, str, dict[str, str]], None]  # outcome, reason, results by action


class Responder:
    def __init__(
        self,
        policy: ResponsePolicy,
        ledger: Ledger,
        actions: Actions | None,
        *,
        rate: RateLimit | None = None,
        count: Counter | None = None,
    ) -> None:
        if actions is None and not policy.dry_run:
            raise ValueError("acting needs a Graph client: dry-run only without one")
        self.policy = policy
        self.ledger = ledger
        self.actions = actions
        self.rate = rate if rate is not None else RateWindow.of(policy)
        self.count = count or (lambda *_: None)

    def handle(self, value: bytes, now_ms: int) -> list[Output]:
        """Raises ``InvalidRecord`` for an alert it cannot read, ``TransientError`` when the
        ledger is unreachable (nothing was done: the batch is handled again)."""
        alert = read_alert(value)
        if is_response_revision(alert):
            return []  # our own revision, back from the alerts topic
        subject = subject_of(alert)
        decision = decide(self.policy, subject, self.ledger.get(subject.finding_uid))
        results: dict[str, str] = {}
        if decision.outcome == "act":
            decision, results = self._act(subject, now_ms)
        elif decision.outcome == "dry_run" and not self.rate.take(subject.finding_uid, now_ms):
            decision = Decision("withheld", RATE_LIMITED)  # where the limit would bite
        record = self._record(alert, subject, decision, results, now_ms)
        self.count(decision.outcome, decision.reason or "", results)
        key = (subject.user or subject.user_id or "").encode()
        out = [Output("action", key, orjson.dumps(record))]
        if decision.outcome != "withheld" or decision.reason in _ANNOUNCED:
            out.append(Output("alert", key, orjson.dumps(annotated(alert, record))))
        return out

    def _act(self, subject: Subject, now_ms: int) -> tuple[Decision, dict[str, str]]:
        # The slot before the claim: a crash between the two costs a slot, never an action
        # beyond the limit, and a claim withheld for the limit would read as interrupted.
        if not self.rate.take(subject.finding_uid, now_ms):
            return Decision("withheld", RATE_LIMITED), {}
        if not self.ledger.claim(subject.finding_uid):  # another responder was first
            self.rate.release(subject.finding_uid)
            return Decision("withheld", ALREADY_ACTED), {}
        assert self.actions is not None
        results = self.actions.run(self.policy.actions, subject)
        self.ledger.complete(subject.finding_uid)
        return Decision("act"), results

    def _record(
        self,
        alert: dict[str, Any],
        subject: Subject,
        decision: Decision,
        results: dict[str, str],
        now_ms: int,
    ) -> dict[str, Any]:
        unmapped = alert.get("unmapped")
        revision = unmapped.get("revision", 0) if isinstance(unmapped, dict) else 0
        record: dict[str, Any] = {
            # Deterministic: a re-delivered alert revision gives the same record id.
            "id": f"{subject.finding_uid}:{revision}:{decision.outcome}",
            "finding_uid": subject.finding_uid,
            "revision": revision,
            "rule_id": subject.rule_id,
            "severity_id": subject.severity,
            "user": subject.user,
            "user_id": subject.user_id,
            "outcome": decision.outcome,
            "actions": list(self.policy.actions),
            "time": now_ms,
        }
        if decision.reason:
            record["reason"] = decision.reason
        if results:
            record["results"] = results
        return record
