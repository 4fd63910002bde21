"""Prometheus metrics of the stream job, on a registry of its own (tests build isolated ones).

The stages keep cumulative counts (``Counter`` objects, ints); after each batch the runner hands
the stage to :meth:`JobMetrics.after_step`, which adds what grew since the last batch: the
per-event path never touches a Prometheus object. Costly readings (state size on Redis) are taken
on scrape and cached; consumer lag comes from librdkafka's statistics. No label carries a user,
an address or any other record value.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any, Protocol

import prometheus_client as prom
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from correlator import __version__
from correlator.sources.reasons import IGNORED

log = logging.getLogger(__name__)

STAGES = ("normalize", "correlate", "keyed")
EVENT_KINDS = ("signin", "credential_change", "call", "app_consent")
BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Entra sign-in logs arrive minutes to hours late; backfills are days behind.
LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 604800)
STATE_TTL_S = 30.0  # size_bytes()/count() SCAN the whole keyspace on Redis
PROBE_TTL_S = 5.0  # store pings are shared by /readyz and the scrape
STATS_INTERVAL_MS = 5000  # librdkafka statistics (consumer lag, broker states) unless set
STATS_MAX_AGE_S = 30.0
_STATE = ("correlator_state_users", "correlator_state_bytes")  # only where there is state


class Stage(Protocol):
    name: str
    stats: Any  # WorkerStats: consumed (by topic), commits, committed_messages, rewinds, ...
    consumer: Any
    topics: tuple[str, ...]


class SizedStates(Protocol):
    def __iter__(self) -> Iterator[str]: ...

    def encoded_size(self, user: str) -> int: ...


def _cached(fn: Callable[[], Any], ttl_s: float, default: Any) -> Callable[[], Any]:
    """``fn()`` at most once per ``ttl_s``; the last good value in between and when it fails."""
    box: dict[str, Any] = {"value": default}

    def call() -> Any:
        now = time.monotonic()
        if "at" not in box or now - box["at"] >= ttl_s:
            box["at"] = now
            try:
                box["value"] = fn()
            except Exception as exc:  # noqa: BLE001 - a failed reading must not fail the scrape
                log.warning("metrics: reading %s failed: %s", getattr(fn, "__name__", fn), exc)
        return box["value"]

    return call


def sampled_size(states: SizedStates, sample: int = 1000) -> tuple[int, int]:
    """Users and bytes of in-memory state, encoding an even sample of at most ``sample`` users."""
    users = list(states)
    picked = users[:: max(1, len(users) // sample)][:sample]
    measured = sum(states.encoded_size(user) for user in picked)  # users are never removed
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
        self._max_age: dict[str, float] = {}
        self._kafka: dict[str, tuple[float, int]] = {}  # stage: (statistics time, brokers up)
        self._assigned: dict[str, int] = {}
        self._store_up: Callable[[], bool] = lambda: True
        self._define()
        if process:
            prom.ProcessCollector(registry=self.registry)
            prom.PlatformCollector(registry=self.registry)

    def _counter(self, name: str, doc: str, *labels: str) -> Counter:
        return Counter(name, doc, labels, registry=self.registry)

    def _gauge(self, name: str, doc: str, *labels: str) -> Gauge:
        return Gauge(name, doc, labels, registry=self.registry)

    def _histogram(self, name: str, doc: str, buckets: Any, *labels: str) -> Histogram:
        return Histogram(name, doc, labels, buckets=buckets, registry=self.registry)

    def _define(self) -> None:
        g = self._gauge
        self.build = g("correlator_build_info", "Version of the running job.", "version", "python")
        self.build.labels(__version__, platform.python_version()).set(1)
        self.ready = g("correlator_ready", "1 when /readyz answers 200.")
        self.store_up = g("correlator_store_up", "1 when the state store answers.")
        self.store_up.set_function(lambda: float(self.store_reachable()))
        self.brokers_up = g("correlator_kafka_brokers_up", "Brokers connected to.", "stage")
        self.assigned = g("correlator_assigned_partitions", "Partitions assigned.", "stage")
        self.aligning = g("correlator_alignment_waiting_records", "Records waiting.", "stage")
        self.watermark = g("correlator_watermark_timestamp_seconds", "Event time.", "partition")
        self.consumer_lag = g("correlator_consumer_lag_messages", "Lag.", "topic", "partition")
        self.learned = g("correlator_learned_egress_networks", "Learned corporate egress.", "kind")
        h = self._histogram
        self.batch_s = h("correlator_batch_duration_seconds", "Batch time.", BATCH_BUCKETS, "stage")
        # Per batch and events partition: now minus the newest event time in it.
        self.event_lag = h("correlator_event_time_lag_seconds", "Event-time lag.", LAG_BUCKETS)
        self._define_counters()

    def _define_counters(self) -> None:
        c = self._counter
        self.consumed = c("correlator_records_consumed", "Messages consumed.", "topic")
        self.events = c("correlator_events", "Canonical events published.", "kind")
        self.rejected = c("correlator_rejected_records", "Rejected records.", "reason")
        self.ignored = c("correlator_ignored_records", "Valid records skipped.", "reason")
        self.dead_letters = c("correlator_dead_letters", "Dead letters by source.", "topic")
        # activity: create = a new finding; update and close = later versions of it.
        self.findings = c("correlator_findings", "Alerts.", "rule", "severity", "activity")
        self.join_matches = c("correlator_join_matches", "Sign-ins joined to a change.")
        self.duplicates = c("correlator_duplicate_events", "Events seen before, ignored.")
        self.late = c("correlator_late_events", "Events behind their user's watermark.")
        self.lookups = c("correlator_enrichment_lookups", "GeoIP database lookups.")
        self.cache_hits = c("correlator_enrichment_cache_hits", "GeoIP cache hits.")
        self.lookup_errors = c("correlator_enrichment_errors", "Failed GeoIP lookups.")
        self.store_errors = c("correlator_store_errors", "Batches failed by the store.")
        self.retries = c("correlator_retries", "Transient failures retried.", "stage")
        self.commits = c("correlator_commits", "Offset commits.", "stage")
        self.committed = c("correlator_committed_messages", "Messages committed.", "stage")
        self.rewinds = c("correlator_batch_rewinds", "Batches read again.", "stage")
        self.partitions_lost = c(
            "correlator_state_partitions_lost", "Partitions whose memory state a rebalance lost."
        )
        self.commit_failures = c("correlator_commit_failures", "Failed commits.", "stage")
        for kind in EVENT_KINDS:
            self.events.labels(kind)
        for reason in IGNORED:
            self.ignored.labels(reason)
        for stage in STAGES:  # present from the start, so rates and alerts see a zero
            for metric in (
                self.retries,
                self.commits,
                self.committed,
                self.rewinds,
                self.commit_failures,
            ):
                metric.labels(stage)

    # -- wiring -----------------------------------------------------------------------------

    def learned_egress(self, asns: int, prefixes: int) -> None:
        """How many networks the configured learned_egress file counts as corporate."""
        self.learned.labels("asn").set(asns)
        self.learned.labels("prefix").set(prefixes)

    def track_state(self, size: Callable[[], tuple[int, int]]) -> None:
        """Export ``size()`` = (users, bytes), read on scrape at most every ``STATE_TTL_S``."""
        cached = _cached(size, STATE_TTL_S, (0, 0))
        users = self._gauge("correlator_state_users", "Users with stored state.")
        users.set_function(lambda: cached()[0])
        size_bytes = self._gauge("correlator_state_bytes", "Approximate bytes of stored state.")
        size_bytes.set_function(lambda: cached()[1])

    def track_store(self, ping: Callable[[], bool]) -> None:
        self._store_up = _cached(ping, PROBE_TTL_S, False)

    def track_ready(self, ready: Callable[[], bool]) -> None:
        self.ready.set_function(lambda: float(ready()))

    def store_reachable(self) -> bool:
        return bool(self._store_up())

    def exposition(self) -> tuple[bytes, str]:
        return prom.generate_latest(self.registry), prom.CONTENT_TYPE_LATEST

    # -- per batch ----------------------------------------------------------------------------

    def _add(self, counter: Counter, labels: tuple[str, ...], total: float) -> None:
        """Increment ``counter`` by how much ``total`` grew since it was last seen."""
        key = (counter, labels)
        grown = total - self._last.get(key, 0.0)
        if grown > 0:
            (counter.labels(*labels) if labels else counter).inc(grown)
        self._last[key] = total

    def _add_all(self, counter: Counter, totals: Mapping[Any, int]) -> None:
        for key, total in list(totals.items()):
            self._add(counter, key if isinstance(key, tuple) else (key,), total)

    def after_step(self, stage: Stage, handled: int) -> None:
        """Called by the runner after each ``step()`` of a stage, ``handled`` messages later."""
        assigned = stage.stats.assigned
        if self._assigned.get(stage.name) != assigned:
            if stage.name not in self._assigned:  # a zero per input, so "no events" can fire
                for topic in stage.topics:
                    self.consumed.labels(topic)
            self._assigned[stage.name] = assigned
            self.assigned.labels(stage.name).set(assigned)
            self._prune_watermarks(stage)
        self._add(self.partitions_lost, (), getattr(stage, "partitions_lost", 0))
        self._add(self.commit_failures, (stage.name,), stage.stats.commit_failures)
        if (alignment := getattr(stage, "alignment", None)) is not None:
            self.aligning.labels(stage.name).set(alignment.buffered)
        if handled:
            self.batch_done(stage)

    def batch_done(self, stage: Stage) -> None:
        stats = stage.stats
        self._add_all(self.consumed, stats.consumed)
        self._add(self.commits, (stage.name,), stats.commits)
        self._add(self.committed, (stage.name,), stats.committed_messages)
        self._add(self.rewinds, (stage.name,), stats.rewinds)
        self.batch_s.labels(stage.name).observe(stats.last_batch_s)
        if (events := getattr(stage, "events", None)) is not None:
            self._add_all(self.events, events)
        if (ignored := getattr(stage, "ignored", None)) is not None:
            self._add_all(self.ignored, ignored)
        if (dead := getattr(stage, "dead_letters", None)) is not None:
            self._add_all(self.rejected, dead.by_reason)
            self._add_all(self.dead_letters, dead.by_topic)
        if (engine := getattr(stage, "engine", None)) is not None:
            self._correlated(stage, engine)
        elif (found := getattr(stage, "findings", None)) is not None:
            self._add_all(self.findings, found)  # the keyed stage: findings, no user engine

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
        if getattr(stage, "engine", None) is None:
            return
        owned = {str(tp.partition) for tp in stage.consumer.assignment()}
        for key in set(self._watermarks) - owned:
            del self._watermarks[key]
            self.watermark.remove(key)

    def failed(self, stage: str, *, store: bool) -> None:
        self.retries.labels(stage).inc()
        if store:
            self.store_errors.inc()

    # -- librdkafka statistics ---------------------------------------------------------------

    def stats_callback(self, stage: str, interval_s: float) -> Callable[[str], None]:
        """A ``stats_cb`` for the consumer of ``stage`` (runs inside its ``consume()``)."""
        # Statistics come from inside consume(): a loop stuck in a batch goes quiet too.
        self._max_age[stage] = max(STATS_MAX_AGE_S, 3 * interval_s)

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
        self._kafka[stage] = (time.monotonic(), up)

    def broker_problem(self) -> str | None:
        """Why the broker looks unreachable from the latest statistics, or None if it does not."""
        now = time.monotonic()
        for stage, (at, up) in self._kafka.items():
            if now - at > self._max_age[stage]:
                return f"{stage}: no broker statistics for {now - at:.0f} s"
            if not up:
                return f"{stage}: not connected to any broker"
        return None


def _exported() -> tuple[str, ...]:
    families = JobMetrics(CollectorRegistry(), process=False).registry.collect()
    return tuple(f.name + ("_total" if f.type == "counter" else "") for f in families) + _STATE


# Every metric family the job exports (counters with their _total), for the README and tests.
METRIC_NAMES: tuple[str, ...] = _exported()
