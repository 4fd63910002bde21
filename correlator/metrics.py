"""Prometheus metrics of the stream job, on a registry of its own (tests build isolated ones).

The stages already keep cumulative counts (``Counter`` objects, plain ints). After each batch the
runner hands the stage to :meth:`JobMetrics.batch_done`, which turns what changed since the last
batch into counter increments: the hot per-event path never touches a Prometheus object.
Costly readings (state size on Redis) are taken on scrape and cached; consumer lag comes from
librdkafka's statistics callback. No label carries a user, an address or any other record value.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from correlator import __version__

log = logging.getLogger(__name__)

STAGES = ("normalize", "correlate")
EVENT_KINDS = ("signin", "credential_change", "call")
BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Entra sign-in logs arrive minutes to hours late; backfills are days behind.
LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 604800)
STATE_TTL_S = 30.0  # size_bytes()/count() SCAN the whole keyspace on Redis
PROBE_TTL_S = 5.0  # store pings are shared by /readyz and the scrape
# (attribute, type, name, help, labels): every metric except the state gauges (on scrape).
_SPECS: tuple[tuple[str, type, str, str, tuple[str, ...]], ...] = (
    ("build", Gauge, "correlator_build_info", "Version of the running job.", ("version", "python")),
    ("ready", Gauge, "correlator_ready", "1 when /readyz answers 200.", ()),
    ("store_up", Gauge, "correlator_store_up", "1 when the state store answers.", ()),
    ("brokers_up", Gauge, "correlator_kafka_brokers_up", "Brokers connected to.", ("stage",)),
    ("assigned", Gauge, "correlator_assigned_partitions", "Partitions assigned.", ("stage",)),
    ("consumed", Counter, "correlator_records_consumed", "Messages consumed.", ("topic",)),
    ("events", Counter, "correlator_events", "Canonical events published.", ("kind",)),
    ("rejected", Counter, "correlator_rejected_records", "Rejected records.", ("reason",)),
    ("dead_letters", Counter, "correlator_dead_letters", "Dead letters by source.", ("topic",)),
    (
        "findings",
        Counter,
        "correlator_findings",
        "Alerts published: activity create = new finding, update/close = later versions.",
        ("rule", "severity", "activity"),
    ),
    ("join_matches", Counter, "correlator_join_matches", "Sign-ins joined to a change.", ()),
    ("duplicates", Counter, "correlator_duplicate_events", "Events seen before, ignored.", ()),
    ("late", Counter, "correlator_late_events", "Events behind their user's watermark.", ()),
    ("lookups", Counter, "correlator_enrichment_lookups", "GeoIP database lookups.", ()),
    ("cache_hits", Counter, "correlator_enrichment_cache_hits", "GeoIP cache hits.", ()),
    ("lookup_errors", Counter, "correlator_enrichment_errors", "Failed GeoIP lookups.", ()),
    ("store_errors", Counter, "correlator_store_errors", "Batches failed by the store.", ()),
    ("retries", Counter, "correlator_retries", "Transient failures retried.", ("stage",)),
    ("commits", Counter, "correlator_commits", "Offset commits.", ("stage",)),
    ("committed", Counter, "correlator_committed_messages", "Messages committed.", ("stage",)),
    ("rewinds", Counter, "correlator_batch_rewinds", "Batches read again.", ("stage",)),
    (
        "batch_seconds",
        Histogram,
        "correlator_batch_duration_seconds",
        "Time from consuming a batch to committing it.",
        ("stage",),
    ),
    (
        "event_lag",
        Histogram,
        "correlator_event_time_lag_seconds",
        "Now minus the newest event time of each events partition in a batch.",
        (),
    ),
    (
        "watermark",
        Gauge,
        "correlator_watermark_timestamp_seconds",
        "Newest event time seen per events partition.",
        ("partition",),
    ),
    (
        "consumer_lag",
        Gauge,
        "correlator_consumer_lag_messages",
        "Messages behind the high watermark (librdkafka statistics).",
        ("topic", "partition"),
    ),
)
_STATE = ("correlator_state_users", "correlator_state_bytes")
# Every metric family the job exports (counters with their _total), for the README and tests.
METRIC_NAMES: tuple[str, ...] = (
    tuple(name + "_total" if kind is Counter else name for _, kind, name, _, _ in _SPECS) + _STATE
)
_BUCKETS = {
    "correlator_batch_duration_seconds": BATCH_BUCKETS,
    "correlator_event_time_lag_seconds": LAG_BUCKETS,
}


class Stage(Protocol):
    name: str
    stats: Any  # WorkerStats: consumed (by topic), commits, committed_messages, rewinds, ...


class SizedStates(Protocol):
    def __iter__(self) -> Iterator[str]: ...

    def encoded_size(self, user: str) -> int: ...


def _cached(fn: Callable[[], Any], ttl_s: float) -> Callable[[], Any]:
    """``fn`` called at most once per ``ttl_s``; its last good value in between."""
    box: dict[str, Any] = {}

    def call() -> Any:
        now = time.monotonic()
        if "at" not in box or now - box["at"] >= ttl_s:
            box["value"], box["at"] = fn(), now
        return box["value"]

    return call


class _StateCollector:
    """State users and bytes, read on scrape at most every ``STATE_TTL_S`` seconds."""

    def __init__(self, size: Callable[[], tuple[int, int]]) -> None:
        self._size = _cached(size, STATE_TTL_S)
        self._last = (0, 0)

    def describe(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("correlator_state_users", "Users with stored state.")
        yield GaugeMetricFamily("correlator_state_bytes", "Approximate bytes of stored state.")

    def collect(self) -> Iterable[Metric]:
        try:
            self._last = self._size()
        except Exception as exc:  # noqa: BLE001 - a failed reading must not fail the scrape
            log.warning("cannot measure the state store: %s", exc)
        users, size = self._last
        yield GaugeMetricFamily("correlator_state_users", "Users with stored state.", users)
        yield GaugeMetricFamily(
            "correlator_state_bytes", "Approximate bytes of stored state.", size
        )


def sampled_size(states: SizedStates, sample: int = 1000) -> tuple[int, int]:
    """Users and bytes of in-memory state, encoding an even sample of at most ``sample`` users."""
    users = list(states)
    picked = users[:: max(1, len(users) // sample)][:sample]
    measured = 0
    for user in picked:
        try:
            measured += states.encoded_size(user)
        except KeyError:  # forgotten between the listing and the encoding
            continue
    return len(users), measured * len(users) // len(picked) if picked else 0


class JobMetrics:
    """Every metric of one job process, registered on ``registry`` (a fresh one by default)."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        clock: Callable[[], float] = time.time,
        process: bool = True,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.clock = clock
        self._last: dict[Hashable, float] = {}
        self._watermarks: dict[str, float] = {}
        self._lag_series: dict[str, set[tuple[str, str]]] = {}
        self._stats_at: dict[str, float] = {}
        self._brokers: dict[str, int] = {}
        self._assigned: dict[str, int] = {}
        self._store_up: Callable[[], bool] = lambda: True
        self._define()
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)

    def _define(self) -> None:
        for attr, kind, name, doc, labels in _SPECS:
            extra = {"buckets": _BUCKETS[name]} if kind is Histogram else {}
            metric = kind(name, doc, list(labels), registry=self.registry, **extra)
            setattr(self, attr, metric)
        self.build.labels(__version__, platform.python_version()).set(1)
        self.store_up.set_function(lambda: float(self.store_reachable()))
        for kind_label in EVENT_KINDS:
            self.events.labels(kind_label)
        for stage in STAGES:  # present from the start, so rates and alerts see a zero
            for metric in (self.retries, self.commits, self.committed, self.rewinds):
                metric.labels(stage)

    # -- wiring -----------------------------------------------------------------------------

    def track_state(self, size: Callable[[], tuple[int, int]]) -> None:
        """Export ``size()`` = (users, bytes) as the state gauges, read on scrape and cached."""
        self.registry.register(_StateCollector(size))

    def track_store(self, ping: Callable[[], bool]) -> None:
        self._store_up = _cached(ping, PROBE_TTL_S)

    def track_ready(self, ready: Callable[[], bool]) -> None:
        self.ready.set_function(lambda: float(ready()))

    def store_reachable(self) -> bool:
        return bool(self._store_up())

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    # -- per batch ----------------------------------------------------------------------------

    def _add(self, counter: Counter, labels: tuple[str, ...], total: float) -> None:
        """Increment ``counter`` by how much ``total`` grew since it was last seen."""
        key = (counter, labels)
        grown = total - self._last.get(key, 0.0)
        if grown > 0:
            (counter.labels(*labels) if labels else counter).inc(grown)
        self._last[key] = total

    def _add_all(self, counter: Counter, totals: Mapping[Any, int], prefix: tuple = ()) -> None:
        for key, total in list(totals.items()):
            labels = key if isinstance(key, tuple) else (key,)
            self._add(counter, (*prefix, *labels), total)

    def after_step(self, stage: Stage, handled: int) -> None:
        """Called by the runner after each ``step()`` of a stage, ``handled`` messages later."""
        self.assigned.labels(stage.name).set(stage.stats.assigned)
        if self._assigned.get(stage.name) != stage.stats.assigned:
            self._assigned[stage.name] = stage.stats.assigned
            self._prune_watermarks(stage)
        if handled:
            self.batch_done(stage)

    def batch_done(self, stage: Stage) -> None:
        stats = stage.stats
        self._add_all(self.consumed, stats.consumed)
        for counter, total in (
            (self.commits, stats.commits),
            (self.committed, stats.committed_messages),
            (self.rewinds, stats.rewinds),
        ):
            self._add(counter, (stage.name,), total)
        self.batch_seconds.labels(stage.name).observe(stats.last_batch_s)
        if (events := getattr(stage, "events", None)) is not None:
            self._add_all(self.events, events)
        if (dead := getattr(stage, "dead_letters", None)) is not None:
            self._add_all(self.rejected, dead.by_reason)
            self._add_all(self.dead_letters, dead.by_topic)
        if (engine := getattr(stage, "engine", None)) is not None:
            self._correlated(stage, engine)

    def _correlated(self, stage: Stage, engine: Any) -> None:
        self._add_all(self.findings, getattr(stage, "findings", {}))
        self._add(self.join_matches, (), engine.stats.join_matches)
        self._add(self.duplicates, (), engine.stats.duplicates)
        self._add(self.late, (), engine.stats.late)
        enricher = engine.enricher
        self._add(self.lookups, (), getattr(enricher, "lookups", 0))
        self._add(self.cache_hits, (), getattr(enricher, "cache_hits", 0))
        self._add(self.lookup_errors, (), getattr(enricher, "lookup_errors", 0))
        now = self.clock()
        for partition, newest_ms in getattr(stage, "batch_newest", {}).items():
            seconds = newest_ms / 1000
            self.event_lag.observe(max(0.0, now - seconds))
            key = str(partition)
            if seconds > self._watermarks.get(key, float("-inf")):
                self._watermarks[key] = seconds
                self.watermark.labels(key).set(seconds)

    def _prune_watermarks(self, stage: Stage) -> None:
        """After a rebalance, drop the watermarks of partitions another worker now owns."""
        consumer = getattr(stage, "consumer", None)
        if getattr(stage, "engine", None) is None or consumer is None:
            return
        owned = {str(tp.partition) for tp in consumer.assignment()}
        for key in set(self._watermarks) - owned:
            del self._watermarks[key]
            self.watermark.remove(key)

    def failed(self, stage: str, *, store: bool) -> None:
        self.retries.labels(stage).inc()
        if store:
            self.store_errors.inc()

    # -- librdkafka statistics ---------------------------------------------------------------

    def stats_callback(self, stage: str) -> Callable[[str], None]:
        """A ``stats_cb`` for the consumer of ``stage`` (runs inside its ``consume()``)."""

        def on_stats(raw: str) -> None:
            try:
                self._kafka_stats(stage, json.loads(raw))
            except (ValueError, TypeError, AttributeError) as exc:
                log.debug("unreadable librdkafka statistics: %s", exc)

        return on_stats

    def _kafka_stats(self, stage: str, stats: dict[str, Any]) -> None:
        seen: set[tuple[str, str]] = set()
        for topic, info in stats.get("topics", {}).items():
            for partition, numbers in info.get("partitions", {}).items():
                lag = numbers.get("consumer_lag", -1)
                # -1 is librdkafka's "unknown" (not assigned, nothing committed yet).
                if partition != "-1" and lag >= 0:
                    self.consumer_lag.labels(topic, partition).set(lag)
                    seen.add((topic, partition))
        for gone in self._lag_series.get(stage, set()) - seen:
            self.consumer_lag.remove(*gone)
        self._lag_series[stage] = seen
        brokers = stats.get("brokers", {}).values()
        up = sum(1 for b in brokers if b.get("state") == "UP" and b.get("nodeid", -1) >= 0)
        self.brokers_up.labels(stage).set(up)
        self._stats_at[stage] = time.monotonic()
        self._brokers[stage] = up

    def broker_problem(self, max_age_s: float) -> str | None:
        """Why the broker looks unreachable from the latest statistics, or None if it does not."""
        now = time.monotonic()
        for stage, at in self._stats_at.items():
            if now - at > max_age_s:
                return f"{stage}: no broker statistics for {now - at:.0f} s"
            if not self._brokers.get(stage):
                return f"{stage}: not connected to any broker"
        return None
