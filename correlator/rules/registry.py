"""The detections this build knows, and the selection the configuration makes from them."""

from __future__ import annotations

from collections.abc import Mapping

from correlator.errors import ConfigError
from correlator.rules import (
    ato_after_credential_change,
    call_campaign,
    callback_campaign,
    consent_after_call,
    helpdesk_anomaly,
    helpdesk_burst,
    mfa_fatigue,
    vishing_chain,
)
from correlator.rules.base import AnyRule

RULES: tuple[AnyRule, ...] = (
    ato_after_credential_change.RULE,
    vishing_chain.RULE,
    mfa_fatigue.RULE,
    call_campaign.RULE,
    callback_campaign.RULE,
    helpdesk_anomaly.RULE,
    helpdesk_burst.RULE,
    consent_after_call.RULE,
)


def rule_ids() -> tuple[str, ...]:
    """Each id once: a detection may run in two stages (helpdesk-anomaly per change and per
    agent), and enabling or disabling it covers both."""
    return tuple(dict.fromkeys(rule.meta.id for rule in RULES))


def select(enabled: Mapping[str, bool] | None = None) -> tuple[AnyRule, ...]:
    """Every known rule unless the configuration disables it, in the order above."""
    enabled = enabled or {}
    unknown = sorted(set(enabled) - set(rule_ids()))
    if unknown:
        known = ", ".join(rule_ids())
        raise ConfigError(f"unknown rule {unknown[0]!r} under rules: (known: {known})")
    return tuple(rule for rule in RULES if enabled.get(rule.meta.id, True))
