"""`correlator replay` over a simulated tenant: the labels are met and every alert is valid."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.cli import main
from correlator.simulate import SimulationConfig, simulate, write_simulation
from tests.support.alert_schema import validate_alert

SEVERITY = {"Informational": 1, "Low": 2, "Medium": 3, "High": 4, "Critical": 5}


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tenant")
    write_simulation(simulate(SimulationConfig(users=120, days=14, seed=5)), out)
    return out


def run_replay(tenant: Path, inputs: list[Path], out: Path) -> tuple[list[dict], dict]:
    alerts, stats = out / "alerts.jsonl", out / "stats.json"
    code = main(
        [
            "replay",
            *map(str, inputs),
            "--config",
            str(tenant / "correlator.yaml"),
            "--out",
            str(alerts),
            "--stats",
            str(stats),
        ]
    )
    assert code == 0
    lines = alerts.read_bytes().splitlines()
    return [orjson.loads(line) for line in lines], orjson.loads(stats.read_bytes())


def final_by_user(alerts: list[dict]) -> dict[str, int]:
    latest: dict[str, dict] = {}
    for alert in alerts:
        latest[alert["finding_info"]["uid"]] = alert
    worst: dict[str, int] = {}
    for alert in latest.values():
        if alert["activity_id"] == 3:
            continue
        user = next(o["value"] for o in alert["observables"] if o["type_id"] == 4)
        worst[user] = max(worst.get(user, 0), alert["severity_id"])
    return worst


def worst_by_rule(alerts: list[dict]) -> dict[tuple[str, str], int]:
    """(user, rule id) -> the highest final severity among that rule's open findings."""
    latest = {a["finding_info"]["uid"]: a for a in alerts}
    worst: dict[tuple[str, str], int] = {}
    for alert in latest.values():
        if alert["activity_id"] == 3:
            continue
        user = next(o["value"] for o in alert["observables"] if o["type_id"] == 4)
        key = (user, alert["finding_info"]["analytic"]["uid"])
        worst[key] = max(worst.get(key, 0), alert["severity_id"])
    return worst


def test_replay_meets_every_label(tenant: Path, tmp_path: Path) -> None:
    alerts, stats = run_replay(tenant, [tenant / "logs"], tmp_path)
    for alert in alerts:
        validate_alert(alert)
    worst = final_by_user(alerts)
    labels = orjson.loads((tenant / "labels.json").read_bytes())
    assert any(label["kind"] == "attack" for label in labels)
    for label in labels:
        got = worst.get(label["user"], 0)
        if label["expected"] == "high":
            assert got >= SEVERITY["High"], label  # caught
        elif label["expected"] == "at_most_medium":
            assert got <= SEVERITY["Medium"], label
        else:
            assert got < SEVERITY["High"], label  # the look-alike stays quiet
    by_rule = worst_by_rule(alerts)
    for label in labels:
        for rule, least in label["detections"].items():
            assert by_rule.get((label["user"], rule), 0) >= SEVERITY[least.title()], (rule, label)
    assert any(label.get("detections") for label in labels)
    labelled = {label["user"] for label in labels}
    assert set(worst) <= labelled  # nothing alerts on the unlabelled background
    assert stats["events"]["signin"] > 1000 and stats["alerts"]
    assert set(stats) >= {"events", "rejected", "alerts"}


def test_replay_reports_rejects_with_file_and_line(tenant: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"createdDateTime": "2026-10-02T10:00:00Z"}\nnot json\n')
    _, stats = run_replay(tenant, [bad], tmp_path)
    assert stats["rejected"] == {"malformed_json": 1, "unknown_format": 1}


def _shuffled_copy(tenant: Path, target: Path, seed: int) -> Path:
    """The same records, in other files and another order (Graph pages newest-first or not)."""
    rng = random.Random(seed)
    records: list[bytes] = []
    for path in sorted((tenant / "logs").rglob("*.json*")):
        data = orjson.loads(path.read_bytes()) if path.suffix == ".json" else None
        if data is not None:
            records += [orjson.dumps(r) for r in data["value"]]
        else:
            records += path.read_bytes().splitlines()
    rng.shuffle(records)
    target.mkdir()
    # VPN gateway syslog lines: a text file of their own, shuffled as well.
    lines = [
        line
        for p in sorted((tenant / "logs").rglob("*.log"))
        for line in p.read_bytes().splitlines()
    ]
    assert lines, "the tenant has VPN logins"
    rng.shuffle(lines)
    (target / "c.log").write_bytes(b"\n".join(lines) + b"\n")
    cut = rng.randint(1, len(records) - 1)
    (target / "b.jsonl").write_bytes(b"\n".join(records[:cut]) + b"\n")
    (target / "a.jsonl").write_bytes(b"\n".join(records[cut:]) + b"\n")
    return target


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_file_and_record_order_do_not_matter(
    tenant: Path, tmp_path_factory: pytest.TempPathFactory, seed: int
) -> None:
    work = tmp_path_factory.mktemp("shuffle")
    reference, _ = run_replay(tenant, [tenant / "logs"], work)
    shuffled, _ = run_replay(tenant, [_shuffled_copy(tenant, work / "in", seed)], work)
    assert shuffled == reference
