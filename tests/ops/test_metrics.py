"""JobMetrics: counts per batch from the stages' own counters, librdkafka statistics, and names."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from types import SimpleNamespace
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from correlator.metrics import METRIC_NAMES, JobMetrics, sampled_size
from correlator.runtime.worker import WorkerStats
from tests.ops.conftest import LiveJob

# Labels that would carry a person or an address: never on a metric.
FORBIDDEN_LABELS = {"user", "upn", "ip", "address", "device", "phone", "caller", "email", "id"}


def _stage(name: str, **extra: Any) -> SimpleNamespace:
    assignment = [SimpleNamespace(partition=p) for p in extra.pop("owned", (0, 1))]
    consumer = SimpleNamespace(assignment=lambda: assignment)
    stats = WorkerStats(assigned=len(assignment))
    return SimpleNamespace(name=name, stats=stats, consumer=consumer, topics=("raw",), **extra)


def _value(metrics: JobMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_counts_are_added_per_batch_from_cumulative_totals() -> None:
    metrics = JobMetrics(CollectorRegistry(), process=False)
    dead = SimpleNamespace(by_reason=Counter(bad_json=2), by_topic=Counter(raw=2))
    stage = _stage("normalize", events=Counter(signin=5), dead_letters=dead)
    stage.stats.consumed["raw"] = 7
    stage.stats.commits, stage.stats.last_batch_s = 1, 0.02
    metrics.after_step(stage, 7)
    # A second batch: totals grow, the counters grow by the difference only.
    stage.stats.consumed["raw"], stage.stats.commits = 10, 2
    stage.events["call"] += 1
    metrics.after_step(stage, 3)
    metrics.after_step(stage, 0)  # an empty poll changes nothing
    assert _value(metrics, "correlator_records_consumed_total", topic="raw") == 10
    assert _value(metrics, "correlator_commits_total", stage="normalize") == 2
    assert _value(metrics, "correlator_events_total", kind="signin") == 5
    assert _value(metrics, "correlator_events_total", kind="call") == 1
    assert _value(metrics, "correlator_rejected_records_total", reason="bad_json") == 2
    assert _value(metrics, "correlator_dead_letters_total", topic="raw") == 2
    assert _value(metrics, "correlator_batch_duration_seconds_count", stage="normalize") == 2
    assert _value(metrics, "correlator_assigned_partitions", stage="normalize") == 2


def test_correlate_batches_feed_findings_enrichment_lag_and_watermarks() -> None:
    now = 1_800_000_000.0
    metrics = JobMetrics(CollectorRegistry(), clock=lambda: now, process=False)
    engine = SimpleNamespace(
        stats=SimpleNamespace(join_matches=3, duplicates=1, late=0),
        enricher=SimpleNamespace(lookups=4, cache_hits=6, lookup_errors=0),
    )
    findings = Counter({("ato", "high", "create"): 1, ("ato", "high", "update"): 2})
    newest = {0: int((now - 90) * 1000), 1: int((now - 4000) * 1000)}
    stage = _stage("correlate", engine=engine, findings=findings, batch_newest=newest)
    metrics.after_step(stage, 10)
    labels = {"rule": "ato", "severity": "high"}
    assert _value(metrics, "correlator_findings_total", **labels, activity="update") == 2
    assert _value(metrics, "correlator_join_matches_total") == 3
    assert _value(metrics, "correlator_enrichment_cache_hits_total") == 6
    assert _value(metrics, "correlator_watermark_timestamp_seconds", partition="0") == now - 90
    # One lag observation per partition in the batch: 90 s and 4000 s.
    assert _value(metrics, "correlator_event_time_lag_seconds_count") == 2
    assert _value(metrics, "correlator_event_time_lag_seconds_bucket", le="120.0") == 1
    # A rebalance takes partition 1 away: its watermark goes with it.
    stage.consumer.assignment = lambda: [SimpleNamespace(partition=0)]
    stage.stats.assigned = 1
    metrics.after_step(stage, 0)
    assert _value(metrics, "correlator_watermark_timestamp_seconds", partition="1") is None


def _stats(lag: int, state: str = "UP") -> str:
    partitions = {"0": {"consumer_lag": lag}, "-1": {"consumer_lag": -1}}
    return json.dumps(
        {
            "brokers": {"b:9092/1": {"nodeid": 1, "state": state}},
            "topics": {"events": {"partitions": partitions}},
        }
    )


def test_librdkafka_statistics_give_consumer_lag_and_broker_state() -> None:
    metrics = JobMetrics(CollectorRegistry(), process=False)
    on_stats = metrics.stats_callback("correlate", 1.0)
    on_stats(_stats(42))
    assert _value(metrics, "correlator_consumer_lag_messages", topic="events", partition="0") == 42
    assert _value(metrics, "correlator_kafka_brokers_up", stage="correlate") == 1
    assert metrics.broker_problem() is None
    on_stats(_stats(-1, state="DOWN"))  # lag unknown: the series goes rather than lie
    assert (
        _value(metrics, "correlator_consumer_lag_messages", topic="events", partition="0") is None
    )
    assert metrics.broker_problem() == "correlate: not connected to any broker"
    on_stats("not json")  # ignored, never raised into consume()


def test_in_memory_state_is_measured_from_a_sample() -> None:
    class States:
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter([f"u{i}" for i in range(5000)])

        def encoded_size(self, user: str) -> int:
            return 100

    assert sampled_size(States(), sample=1000) == (5000, 500_000)
    metrics = JobMetrics(CollectorRegistry(), process=False)
    metrics.track_state(lambda: (3, 300))
    assert _value(metrics, "correlator_state_users") == 3


def test_scraped_names_types_and_labels_follow_the_conventions(live_job: LiveJob) -> None:
    with urllib.request.urlopen(f"{live_job.url}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    ours = {name: f for name, f in families.items() if name.startswith("correlator_")}
    exported = {n.removesuffix("_total") for n in METRIC_NAMES}
    created = {n for n in ours if n.endswith("_created")}  # prometheus_client's creation times
    assert set(ours) - created == exported
    for name, family in ours.items():
        if family.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in family.samples), name
        if family.type == "histogram":
            assert name.endswith("_seconds"), f"{name}: histograms here measure seconds"
        for sample in family.samples:
            assert not FORBIDDEN_LABELS & set(sample.labels), f"{name}: {sample.labels}"
    others = set(families) - set(ours)
    assert all(n.startswith(("process_", "python_")) for n in others), others
