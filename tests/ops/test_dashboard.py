"""The Grafana dashboard and its provisioning: structure, datasource, and the metrics it names."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from correlator.metrics import METRIC_NAMES
from tests.ops.conftest import DASHBOARD, DEPLOY, ROOT, RULES
from tests.ops.dashboard import dashboard_queries, panels

PROVISIONING = DEPLOY / "grafana" / "provisioning"
METRIC = re.compile(r"\bcorrelator_[a-z_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def _datasource_uid() -> str:
    config = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    (source,) = config["datasources"]
    assert source["type"] == "prometheus"
    return str(source["uid"])


def _family(name: str) -> str:
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in METRIC_NAMES:
            return name.removesuffix(suffix)
    return name


def test_every_panel_queries_the_provisioned_datasource(dashboard: dict[str, Any]) -> None:
    uid = _datasource_uid()
    for panel in panels(dashboard):
        assert panel.get("targets"), f"panel {panel['title']!r} has no query"
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), f"empty query in {panel['title']!r}"
            assert target["datasource"]["uid"] == uid, panel["title"]
    # Import placeholders are not resolved by provisioning.
    assert "${DS_" not in DASHBOARD.read_text()


def test_panels_have_unique_ids_and_titles(dashboard: dict[str, Any]) -> None:
    shown = list(panels(dashboard))
    all_ids = [p["id"] for p in dashboard["panels"]]
    assert len(all_ids) == len(set(all_ids))
    assert len({p["title"] for p in shown}) == len(shown)
    assert dashboard["uid"] and dashboard["title"]


def test_dashboard_covers_the_issue_topics(dashboard: dict[str, Any]) -> None:
    text = " ".join(q.expr for q in dashboard_queries(dashboard))
    for needed in (
        "correlator_records_consumed_total",  # throughput
        "correlator_consumer_lag_messages",  # lag
        "correlator_event_time_lag_seconds_bucket",
        "correlator_rejected_records_total",  # rejects
        "correlator_ignored_records_total",  # valid records skipped, not dead
        "correlator_findings_total",  # alerts by rule and severity
        "correlator_batch_duration_seconds_bucket",  # latency
        "correlator_state_bytes",  # state size
        "correlator_store_errors_total",  # errors
    ):
        assert needed in text, needed


def test_dashboard_and_rules_name_only_exported_metrics(dashboard: dict[str, Any]) -> None:
    exprs = [q.expr for q in dashboard_queries(dashboard)]
    rules = yaml.safe_load(RULES.read_text())
    exprs += [r["expr"] for g in rules["groups"] for r in g["rules"]]
    named = {_family(m) for e in exprs for m in METRIC.findall(e)}
    assert named <= set(METRIC_NAMES), named - set(METRIC_NAMES)


def test_dashboard_provider_points_at_the_mounted_directory() -> None:
    config = yaml.safe_load((PROVISIONING / "dashboards" / "correlator.yml").read_text())
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    # docker-compose mounts deploy/grafana/dashboards there.
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_readme_lists_every_metric() -> None:
    doc = (ROOT / "README.md").read_text()
    missing = [name for name in METRIC_NAMES if f"`{name}`" not in doc]
    assert not missing, f"README.md does not describe {missing}"
