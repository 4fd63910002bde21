"""Learned corporate egress: a network many of the tenant's users share is not new to anyone."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml

from correlator.cli import main
from correlator.config import DetectionConfig, load_settings
from correlator.context import SignInFacts
from correlator.engine.egress import EgressLearner
from correlator.errors import ConfigError
from correlator.model import Severity
from correlator.rules.ato_after_credential_change import RULE
from correlator.simulate import SimulationConfig, simulate, write_simulation
from tests.engine.builders import ATTACKER, change, history, signin
from tests.rules.cases import Case, check, run


def facts(asn: int, prefix: str, success: bool = True, corporate: bool = False) -> SignInFacts:
    return SignInFacts(
        id="s",
        time=0,
        success=success,
        interactive=True,
        asn=asn,
        prefix=prefix,
        corporate=corporate,
    )


def test_the_learner_counts_distinct_users_outside_declared_egress() -> None:
    learner = EgressLearner()
    for n in range(5):
        learner.observe(f"u{n}", facts(64501, "192.0.2.0/24"))
        learner.observe(f"u{n}", facts(64501, "192.0.2.0/24"))  # the same user again: once
    learner.observe("u9", facts(64777, "198.51.100.0/24"))
    for n in range(9):  # declared corporate, or failed: never learned from
        learner.observe(f"c{n}", facts(64500, "203.0.113.0/24", corporate=True))
        learner.observe(f"f{n}", facts(64999, "203.0.114.0/24", success=False))
    assert learner.learned(5) == {"asns": {"64501": 5}, "prefixes": {"192.0.2.0/24": 5}}
    assert learner.learned(6) == {"asns": {}, "prefixes": {}}


EXIT = dict(network=ATTACKER, ip="203.0.113.9")  # a VPN/hosting exit (AS14061) in another country
LEARNED = DetectionConfig(learned_asns={14061: 40})
CASES = [
    # The known laptop through an exit new to this user: a new country and network (Medium).
    Case(
        "new exit",
        history() + [change("r1", 0), signin("x1", 5, **EXIT)],
        Severity.MEDIUM,
        ("asn.new",),
    ),
    # The same exit, learned as shared by 40 of the tenant's users: nothing new about it.
    Case(
        "learned exit", history() + [change("r1", 0), signin("x1", 5, **EXIT)], None, config=LEARNED
    ),
    # A new unmanaged device through the learned exit still counts, and the alert says why the
    # network did not.
    Case(
        "learned exit, new device",
        history() + [change("r1", 0), signin("x1", 5, device="dev-9", managed=False, **EXIT)],
        Severity.MEDIUM,
        ("network.learned_egress", "device.new"),
        LEARNED,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    finding = check(case, run([RULE], case.events, case.config), RULE.meta.id)
    if finding is not None and case.config is LEARNED:
        assert "asn.new" not in {e.code for e in finding.evidence}


def test_a_bad_learned_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "learned.yaml").write_text("asns: {not-a-number: 3}\n")
    (tmp_path / "c.yaml").write_text("learned_egress: learned.yaml\n")
    with pytest.raises(ConfigError, match="learned_egress"):
        load_settings(tmp_path / "c.yaml")


def _high(alerts: Path, user: str) -> int:
    latest = {}
    for line in alerts.read_bytes().splitlines():
        alert = orjson.loads(line)
        latest[alert["finding_info"]["uid"]] = alert
    return max(
        (
            a["severity_id"]
            for a in latest.values()
            if a["activity_id"] != 3 and any(o["value"] == user for o in a["observables"])
        ),
        default=0,
    )


def test_an_undeclared_corporate_vpn_is_learned_from_the_logs(tmp_path: Path) -> None:
    """A tenant that declared no corporate egress: its VPN exit looks new after a reset, until
    `learn-egress` finds it shared by many users."""
    write_simulation(simulate(SimulationConfig(users=120, days=14, seed=5)), tmp_path)
    config = yaml.safe_load((tmp_path / "correlator.yaml").read_text())
    del config["corporate"]
    (tmp_path / "bare.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "learned-config.yaml").write_text(
        yaml.safe_dump({**config, "learned_egress": "learned.yaml"})
    )
    logs = str(tmp_path / "logs")
    learn = ["learn-egress", logs, "--config", str(tmp_path / "bare.yaml")]
    assert main([*learn, "--out", str(tmp_path / "learned.yaml")]) == 0
    learned = yaml.safe_load((tmp_path / "learned.yaml").read_text())
    assert any(p.startswith("192.0.2.") for p in learned["prefixes"])  # the corporate VPN /24
    labels = orjson.loads((tmp_path / "labels.json").read_bytes())
    (vpn_user,) = [x["user"] for x in labels if x["scenario"] == "corporate_vpn_after_reset"]
    for name, most in (("bare", Severity.HIGH), ("learned-config", Severity.MEDIUM)):
        alerts = tmp_path / f"{name}.jsonl"
        args = ["replay", logs, "--config", str(tmp_path / f"{name}.yaml"), "--out", str(alerts)]
        assert main(args) == 0
        assert _high(alerts, vpn_user) == most, name  # High before learning; not after
