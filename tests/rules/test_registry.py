"""The engine runs the rules the configuration enables, and only those."""

from __future__ import annotations

import pytest

from correlator.config import DetectionConfig, settings_from_mapping
from correlator.engine.engine import Engine
from correlator.errors import ConfigError
from correlator.rules import registry
from tests.engine.builders import ATTACKER, history, signin
from tests.engine.builders import change as change_event

ATO = "ato-after-credential-change"
EVENTS = history() + [
    change_event("r1", 0),
    signin("x1", 4, network=ATTACKER, device=None, ip="203.0.113.9"),
]


def rule_ids_of(findings: list) -> set[str]:
    return {f.rule_id for f in findings}


def test_every_rule_runs_by_default() -> None:
    engine = Engine(DetectionConfig())
    assert [r.meta.id for r in engine.rules] == [r.meta.id for r in registry.RULES]
    assert ATO in rule_ids_of(engine.process_many(EVENTS))


def test_a_disabled_rule_publishes_nothing() -> None:
    settings = settings_from_mapping({"rules": {ATO: {"enabled": False}}})
    assert settings.rules == {ATO: False}
    enabled = Engine(DetectionConfig(), rules=registry.select({}))
    disabled = Engine(DetectionConfig(), rules=registry.select(settings.rules))
    assert ATO in rule_ids_of(enabled.process_many(EVENTS))  # the scenario alerts when on
    assert ATO not in rule_ids_of(disabled.process_many(EVENTS))
    assert ATO not in [r.meta.id for r in disabled.rules]


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"no-such-rule": {"enabled": False}}, "unknown rule 'no-such-rule'"),
        ({ATO: {"enable": False}}, f"unknown setting rules.{ATO}.enable"),
        ({ATO: "off"}, "must be true or false"),
        (["a"], "rules must map"),
    ],
)
def test_bad_rule_settings_are_config_errors(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        registry.select(settings_from_mapping({"rules": raw}).rules)


def test_every_rule_owns_its_metadata() -> None:
    for rule in registry.RULES:
        meta = rule.meta
        assert meta.id and meta.title and meta.description and meta.remediation
        assert all(a.startswith("T") for a in meta.attacks) and meta.attacks


def test_rules_import_nothing_from_the_engine_or_runtime() -> None:
    import ast
    from pathlib import Path

    import correlator.context
    import correlator.rules

    roots = [Path(correlator.rules.__file__).parent, Path(correlator.context.__file__)]
    files = [p for root in roots for p in ([root] if root.is_file() else root.glob("*.py"))]
    assert len(files) >= 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("correlator.engine", "correlator.runtime")), (
                    path.name,
                    node.module,
                )
