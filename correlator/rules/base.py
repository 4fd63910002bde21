"""What every detection shares: its metadata, its input (one incident in context), its output.

A rule is one file that builds one ``Rule``: its metadata, which credential changes open its
incidents, a pure evaluation, and the words of its finding. The engine loops over the rules the
configuration enables and never imports one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from correlator.config import DetectionConfig
from correlator.context import IncidentContext as IncidentContext
from correlator.context import SignInFacts, SignInWindow, is_anchor
from correlator.keyed import KeyContext
from correlator.model import CredentialChange, Evidence, Finding, Severity


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    description: str
    attacks: tuple[str, ...]  # MITRE technique ids the rule can report
    default_severity: Severity
    remediation: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assessment:
    score: int
    severity: Severity
    evidence: tuple[Evidence, ...]
    families: tuple[str, ...]
    primary: SignInFacts | None
    notes: tuple[str, ...] = field(default=())


def _no_extra_attacks(ctx: IncidentContext, assessment: Assessment) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Rule:
    """One detection over a user's incidents.

    ``evaluate`` returns None when the incident is not this rule's business at all (the engine
    then publishes nothing and keeps no record of it). ``title`` and ``summary`` word the
    finding; ``attacks`` names the techniques this incident shows (the metadata lists all the
    rule can report).
    """

    meta: RuleMeta
    evaluate: Callable[[IncidentContext], Assessment | None]
    title: Callable[[IncidentContext], str]
    summary: Callable[[IncidentContext, Assessment], str]
    attacks: Callable[[IncidentContext, Assessment], tuple[str, ...]] = _no_extra_attacks
    anchors: Callable[[CredentialChange], bool] = is_anchor


@dataclass(frozen=True)
class SignInRule:
    """One detection over a user's sign-ins, keyed by the successful sign-in it reports.

    The engine offers every successful interactive sign-in with the sign-ins of the ``window``
    before it, again whenever an earlier one arrives late, so the result does not depend on
    arrival order. ``finding`` words the whole finding.
    """

    meta: RuleMeta
    window: Callable[[DetectionConfig], int]
    evaluate: Callable[[SignInWindow], Assessment | None]
    finding: Callable[[SignInWindow, Assessment, str, int], Finding]


@dataclass(frozen=True)
class KeyedFinding:
    """One finding a keyed rule reports, anchored on the event that opened it."""

    anchor_id: str
    anchor_time: int
    assessment: Assessment
    build: Callable[[str, str, int], Finding]  # (uid, activity, revision) -> the finding
    members: frozenset[str] = frozenset()  # ids of the events it groups (see publish)


@dataclass(frozen=True)
class KeyedRule:
    """One detection over a non-user key (a phone number, a helpdesk agent, the tenant).

    ``evaluate`` re-derives every finding from all the events stored under the key, so the
    result does not depend on arrival order; the engine publishes creates and updates.
    """

    meta: RuleMeta
    prefixes: tuple[str, ...]  # the key kinds it reads (keyed.NUMBER, keyed.AGENT...)
    evaluate: Callable[[KeyContext], list[KeyedFinding]]


AnyRule = Rule | SignInRule | KeyedRule
