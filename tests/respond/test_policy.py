"""The safety policy, case by case: every reason to withhold, dry-run, acting (the rate limit,
which the responder applies after these, is in test_rate_limit)."""

from __future__ import annotations

import pytest

from correlator.errors import ConfigError
from correlator.model import Severity
from correlator.respond.policy import (
    Decision,
    ResponsePolicy,
    Subject,
    decide,
    policy_from,
)

ACTING = ResponsePolicy(dry_run=False, protected_users=frozenset({"bg-admin@northwind.test"}))
HIGH = Subject("f1", "ato-after-credential-change", 4, "alice@northwind.test", None)


@pytest.mark.parametrize(
    ("policy", "subject", "prior", "expected"),
    [
        # The default policy is a dry run: nothing is ever sent.
        (ResponsePolicy(), HIGH, None, Decision("dry_run")),
        (ACTING, HIGH, None, Decision("act")),
        # A closed finding (the attack was a look-alike after all) is never acted on.
        (ACTING, Subject("f1", HIGH.rule_id, 4, HIGH.user, None, closed=True), None,
         Decision("withheld", "finding_closed")),
        # Only allow-listed rules act: a campaign alert names no one to cut off.
        (ACTING, Subject("f1", "call-campaign", 5, HIGH.user, None), None,
         Decision("withheld", "rule_not_allowed")),
        (ACTING, Subject("f1", HIGH.rule_id, 3, HIGH.user, None), None,
         Decision("withheld", "below_min_severity")),
        # Break-glass accounts, by UPN in any case, or by object id.
        (ACTING, Subject("f1", HIGH.rule_id, 5, "BG-Admin@Northwind.test", None), None,
         Decision("withheld", "protected_user")),
        (ResponsePolicy(dry_run=False, protected_users=frozenset({"0b6f-id"})),
         Subject("f1", HIGH.rule_id, 5, "x@northwind.test", "0B6F-ID"), None,
         Decision("withheld", "protected_user")),
        (ACTING, Subject("f1", HIGH.rule_id, 5, None, None), None, Decision("withheld", "no_user")),
        # One action per finding uid, across revisions, re-deliveries and restarts.
        (ACTING, HIGH, "done", Decision("withheld", "already_acted")),
        (ACTING, HIGH, "started", Decision("withheld", "interrupted")),
    ],
)  # fmt: skip
def test_decisions(
    policy: ResponsePolicy, subject: Subject, prior: str | None, expected: Decision
) -> None:
    assert decide(policy, subject, prior) == expected


def test_policy_from_config() -> None:
    policy = policy_from(
        {
            "dry_run": False,
            "actions": ["revoke_sessions", "confirm_compromised", "disable_account"],
            "rules": ["ato-after-credential-change", "vishing-chain"],
            "min_severity": "critical",
            "protected_users": ["BG-Admin@Northwind.test"],
            "rate_limit": {"max_actions": 3, "per_minutes": 10},
        }
    )
    assert not policy.dry_run and policy.min_severity == Severity.CRITICAL
    assert policy.protected_users == {"bg-admin@northwind.test"}
    assert (policy.max_actions, policy.per_ms, len(policy.actions)) == (3, 600_000, 3)
    assert policy_from(None).dry_run and policy_from({"dry_run": "no"}).dry_run


@pytest.mark.parametrize(
    "raw",
    [
        {"actions": ["delete_user"]},
        {"min_severity": "urgent"},
        {"rate_limit": {"max_actions": 0}},
        {"protect": ["x"]},
        ["dry_run"],
    ],
)
def test_policy_errors_name_the_setting(raw: object) -> None:
    with pytest.raises(ConfigError, match="response"):
        policy_from(raw)
