"""What the rule tables share: a case, running it through both stages, and checking it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from correlator.config import DetectionConfig
from correlator.engine.engine import Engine
from correlator.engine.keyed import KeyedEngine
from correlator.model import Event, Finding, Severity
from correlator.rules.base import AnyRule, KeyedRule


@dataclass(frozen=True)
class Case:
    name: str
    events: list[Event]
    expected: Severity | None  # the final severity of the one finding; None: nothing published
    codes: tuple[str, ...] = ()  # evidence codes that must be present
    config: DetectionConfig = field(default_factory=DetectionConfig)


def run(
    rules: Sequence[AnyRule], events: list[Event], config: DetectionConfig
) -> dict[str, Finding]:
    """Every event through the user engine, its forwards through the keyed engine (as replay
    does); the final version of each finding still open."""
    engine = Engine(config, rules=rules)
    keyed = KeyedEngine(config, [r for r in rules if isinstance(r, KeyedRule)])
    latest: dict[str, Finding] = {}
    for event in events:
        found = engine.process(event)
        for item in engine.take_forwards():
            found += keyed.process(item)
        latest.update((f.uid, f) for f in found)
    return {uid: f for uid, f in latest.items() if f.activity != "close"}


def check(case: Case, published: dict[str, Finding], rule_id: str) -> Finding | None:
    if case.expected is None:
        assert published == {}, [f.summary for f in published.values()]
        return None
    assert len(published) == 1, [f.summary for f in published.values()]
    finding = next(iter(published.values()))
    assert finding.rule_id == rule_id
    assert finding.severity == case.expected, finding.summary
    assert set(case.codes) <= {e.code for e in finding.evidence}, finding.summary
    assert finding.remediation and finding.attacks
    return finding
