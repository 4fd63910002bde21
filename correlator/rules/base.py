"""What every detection shares: its metadata, its input (one incident in context), its output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from correlator.config import DetectionConfig
from correlator.engine.baseline import Maturity
from correlator.engine.join import Incident
from correlator.engine.state import GeoPoint, Profile, SignInFacts
from correlator.model import CallRecord, CredentialChange, Evidence, Severity


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    description: str
    attacks: tuple[str, ...]  # MITRE technique ids the rule can report
    default_severity: Severity


@dataclass(frozen=True)
class IncidentContext:
    """Everything a rule may read about one incident; built by the engine, never mutated."""

    incident: Incident
    signins: tuple[SignInFacts, ...]  # inside the incident's window, by time
    calls: tuple[CallRecord, ...]  # before the incident, inside the call lookback
    follow_ups: tuple[CredentialChange, ...]  # the user's own MFA registrations after it
    profile: Profile
    maturity: Maturity
    privileged: bool
    config: DetectionConfig
    previous_point: Callable[[int], GeoPoint | None]  # the last located sign-in before a time


@dataclass(frozen=True)
class Assessment:
    score: int
    severity: Severity
    evidence: tuple[Evidence, ...]
    families: tuple[str, ...]
    primary: SignInFacts | None
    notes: tuple[str, ...] = field(default=())
