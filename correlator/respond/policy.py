"""The response safety policy: what may be done, to whom, how often. Pure: no I/O, no clock.

Checks run in a fixed order and the first that fails names the reason an action is withheld:
a closed finding, a rule not on the allow-list, a severity below the minimum, a protected
user, a finding already acted on (or whose action was interrupted), the rate limit. A finding
that passes everything is acted on, or, in dry-run mode (the default), reported as what would
have been done. The rate limit is checked last and by the responder, against a ``RateLimit``
that takes a slot atomically: in memory here, in Redis (``ledger``) when the job has a store,
so that a restart or a second responder does not start with a fresh allowance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from correlator.errors import ConfigError
from correlator.identity import normalize_identity
from correlator.model import Severity

Action = Literal["revoke_sessions", "confirm_compromised", "disable_account"]
ACTIONS: tuple[Action, ...] = ("revoke_sessions", "confirm_compromised", "disable_account")
Outcome = Literal["act", "dry_run", "withheld"]

# Withholding reasons: metric labels and the ``reason`` of a published action record.
CLOSED = "finding_closed"
RULE_NOT_ALLOWED = "rule_not_allowed"
BELOW_SEVERITY = "below_min_severity"
PROTECTED = "protected_user"
ALREADY_ACTED = "already_acted"
INTERRUPTED = "interrupted"  # claimed before a crash: the call may or may not have gone out
RATE_LIMITED = "rate_limited"
NO_USER = "no_user"


@dataclass(frozen=True)
class ResponsePolicy:
    dry_run: bool = True
    actions: tuple[Action, ...] = ("revoke_sessions", "confirm_compromised")
    rules: frozenset[str] = frozenset({"ato-after-credential-change"})
    min_severity: Severity = Severity.HIGH
    protected_users: frozenset[str] = frozenset()  # normalised UPNs and object ids
    max_actions: int = 10  # at most this many findings acted on ...
    per_ms: int = 3_600_000  # ... per this long (a sliding window)

    def __post_init__(self) -> None:
        unknown = set(self.actions) - set(ACTIONS)
        if unknown or not self.actions:
            raise ConfigError(f"response.actions: choose from {', '.join(ACTIONS)}")
        if self.max_actions < 1 or self.per_ms < 1:
            raise ConfigError("response.rate_limit: max_actions and per_minutes must be ≥ 1")

    def protects(self, *identities: str | None) -> bool:
        return any(normalize_identity(i) in self.protected_users for i in identities if i)


@dataclass(frozen=True)
class Subject:
    """What the policy needs to know about one alert."""

    finding_uid: str
    rule_id: str
    severity: int
    user: str | None
    user_id: str | None
    closed: bool = False


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str | None = None  # why it is withheld; None when acted on or dry-run


class RateLimit(Protocol):
    """At most ``max_actions`` findings acted on per sliding ``per_ms``, counted by finding uid."""

    def take(self, finding_uid: str, now_ms: int) -> bool:
        """Count this finding's action at ``now_ms`` unless the window is full; one check and
        write, so two responders cannot both take the last slot. A finding already counted
        in the window is allowed again without a second slot."""
        ...

    def release(self, finding_uid: str) -> None:
        """Give the slot back: the finding was not acted on after all."""
        ...


@dataclass
class RateWindow:
    """The rate limit in memory (a restart forgets it): finding uid -> when it was taken."""

    max_actions: int
    per_ms: int
    taken: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, policy: ResponsePolicy) -> RateWindow:
        return cls(policy.max_actions, policy.per_ms)

    def take(self, finding_uid: str, now_ms: int) -> bool:
        # At most max_actions entries, so the pass is short.
        self.taken = {k: t for k, t in self.taken.items() if t > now_ms - self.per_ms}
        if finding_uid in self.taken:
            return True
        if len(self.taken) >= self.max_actions:
            return False
        self.taken[finding_uid] = now_ms
        return True

    def release(self, finding_uid: str) -> None:
        self.taken.pop(finding_uid, None)


def decide(policy: ResponsePolicy, subject: Subject, prior: str | None) -> Decision:
    """``prior``: what the ledger holds for this finding (None, ``started`` or ``done``).

    Every check but the rate limit, which the responder applies to what this allows."""
    if subject.closed:
        return Decision("withheld", CLOSED)
    if subject.rule_id not in policy.rules:
        return Decision("withheld", RULE_NOT_ALLOWED)
    if subject.severity < policy.min_severity:
        return Decision("withheld", BELOW_SEVERITY)
    if subject.user is None and subject.user_id is None:
        return Decision("withheld", NO_USER)
    if policy.protects(subject.user, subject.user_id):
        return Decision("withheld", PROTECTED)
    if prior is not None:
        return Decision("withheld", ALREADY_ACTED if prior == "done" else INTERRUPTED)
    return Decision("dry_run" if policy.dry_run else "act")


def policy_from(raw: Any) -> ResponsePolicy:
    """The ``response:`` section of the YAML configuration."""
    if raw is None:
        return ResponsePolicy()
    if not isinstance(raw, dict):
        raise ConfigError("response: expected a mapping")
    known = {"dry_run", "actions", "rules", "min_severity", "protected_users", "rate_limit"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"response: unknown keys {sorted(unknown)}; known: {sorted(known)}")
    defaults = ResponsePolicy()
    rate = raw.get("rate_limit") or {}
    return ResponsePolicy(
        dry_run=raw.get("dry_run", True) is not False,  # only an explicit false turns it off
        actions=tuple(raw.get("actions") or defaults.actions),
        rules=frozenset(str(r) for r in raw.get("rules") or defaults.rules),
        min_severity=_severity(raw.get("min_severity", "high")),
        protected_users=frozenset(
            p for p in (normalize_identity(str(u)) for u in raw.get("protected_users") or ()) if p
        ),
        max_actions=int(rate.get("max_actions", defaults.max_actions)),
        per_ms=int(float(rate.get("per_minutes", defaults.per_ms / 60_000)) * 60_000),
    )


def _severity(value: object) -> Severity:
    try:
        return Severity[str(value).upper()] if not isinstance(value, int) else Severity(value)
    except (KeyError, ValueError) as exc:
        names = ", ".join(s.name.lower() for s in Severity)
        raise ConfigError(f"response.min_severity: {value!r}; choose from {names}") from exc
