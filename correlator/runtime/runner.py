"""`correlator run`: build the stages from settings and drive them until told to stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from correlator.config import Settings
from correlator.errors import StoreUnavailable, TransientError
from correlator.metrics import STATS_INTERVAL_MS, JobMetrics
from correlator.runconfig import RunSettings
from correlator.runtime.align import HELD_EVERY_S
from correlator.runtime.assembly import (
    build_alignment,
    build_keyed,
    build_user_engine,
    track_state,
)
from correlator.runtime.broker import create_topics
from correlator.runtime.clients import (
    TrackedProducer,
    admin_config,
    consumer_config,
    new_consumer,
    producer_config,
)
from correlator.runtime.correlate_stage import CorrelateWorker
from correlator.runtime.dlq import DeadLetters, message_limit
from correlator.runtime.kafka_log import gate_for
from correlator.runtime.keyed_stage import KeyedWorker
from correlator.runtime.normalize_stage import NormalizeWorker
from correlator.runtime.worker import BatchWorker
from correlator.state import StateStore
from correlator.wiring import build_normalizer

log = logging.getLogger(__name__)

INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
STORE_CHECK_S = 5.0  # how often an idle job asks its state store whether it answers


@dataclass
class Health:
    """What /healthz and /readyz report."""

    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    reason: str = "starting"
    last_progress: float = field(default_factory=time.monotonic)
    store_errors: int = 0
    retries: int = 0


class Runner:
    def __init__(
        self,
        run: RunSettings,
        settings: Settings,
        *,
        bootstrap: str,
        stop: threading.Event | None = None,
        metrics: JobMetrics | None = None,
    ) -> None:
        self.run = run
        self.settings = settings
        self.bootstrap = bootstrap
        self.stop_event = stop or threading.Event()
        self.health = Health()
        self._backoff = INITIAL_BACKOFF_S
        self._store_down: float | None = None  # since when the state store has not answered
        self._quiet = True  # the last round handled nothing
        self._store_answered, self._next_store_check = True, 0.0  # the idle job's last ping
        self.metrics = metrics if metrics is not None else JobMetrics()
        detection = settings.detection
        self.metrics.learned_egress(len(detection.learned_asns), len(detection.learned_prefixes))
        self.store: StateStore | None = None
        config = self._with_stats(producer_config(bootstrap, run.client_properties()), "producer")
        self.producer = TrackedProducer(config)
        self.dead_letters = DeadLetters(
            self.producer, run.topics.dlq, max_bytes=message_limit(config)
        )
        self.workers: list[BatchWorker[Any]] = []
        self.normalizer: NormalizeWorker | None = None
        self.correlator: CorrelateWorker | None = None
        self.keyed: KeyedWorker | None = None
        self.keyed_store: StateStore | None = None
        self._build()

    def _consumer(self, stage: str):  # type: ignore[no-untyped-def]
        group = f"{self.run.group_id}.{stage}"
        config = consumer_config(self.bootstrap, group, self.run.client_properties())
        return new_consumer(self._with_stats(config, stage))

    def _with_stats(self, config: dict[str, object], stage: str) -> dict[str, object]:
        """Consumer lag and broker states for /metrics and /readyz come from these statistics.

        The producer reports too: a batch stuck in ``flush()`` while the broker is gone calls
        no ``consume()``, but the flush serves the producer's callbacks, so /readyz still
        learns of the outage within a statistics interval or two.
        """
        config.setdefault("statistics.interval.ms", STATS_INTERVAL_MS)
        interval_s = int(str(config["statistics.interval.ms"])) / 1000
        if interval_s > 0:
            config["stats_cb"] = self._on_stats(self.metrics.stats_callback(stage, interval_s))
        return config

    def _on_stats(self, record: Callable[[str], None]) -> Callable[[str], None]:
        gate = gate_for(self.bootstrap)

        def on_stats(stats: str) -> None:
            record(stats)
            if self.metrics.broker_problem() is None:
                gate.reachable()  # logs the recovery once, after "broker unreachable at …"

        return on_stats

    def _build(self) -> None:
        if self.run.create_topics:
            create_topics(
                self.bootstrap,
                {t: self.run.partitions for t in self.run.topics.all},
                client=admin_config(self.run.client_properties()),
            )
        common: dict[str, Any] = dict(
            batch_size=self.run.batch_size, batch_timeout_s=self.run.batch_timeout_ms / 1000
        )
        if self.run.stage in ("all", "normalize"):
            self.normalizer = NormalizeWorker(
                self._consumer("normalize"),
                self.producer,
                self.run.topics.raw,
                normalizer=build_normalizer(self.settings),
                events_topic=self.run.topics.events,
                dead_letters=self.dead_letters,
                **common,
            )
            self.normalizer.alignment = build_alignment(
                self.normalizer.consumer, self.run, self.settings, self.run.group_id, "normalize"
            )
            self.workers.append(self.normalizer)
        if self.run.stage in ("all", "correlate"):
            engine, self.store = build_user_engine(self.run, self.settings)
            self.correlator = CorrelateWorker(
                self._consumer("correlate"),
                self.producer,
                [self.run.topics.events],
                engine=engine,
                alerts_topic=self.run.topics.alerts,
                dead_letters=self.dead_letters,
                store=self.store,
                job=self.run.group_id,
                keyed_topic=self.run.topics.keyed,
                **common,
            )
            # The user stage's own answer needs no alignment (each user's watermark is that
            # user's), but what it forwards does: a keyed stage's key (a number, an agent, the
            # tenant) gathers events of users on every events partition, so those partitions
            # must be read in step, or a key's events arrive days apart on a catch-up.
            self.correlator.alignment = build_alignment(
                self.correlator.consumer, self.run, self.settings, self.run.group_id, "correlate"
            )
            self.workers.append(self.correlator)
            track_state(self.metrics, engine, self.store)
        if self.run.stage in ("all", "keyed"):
            self.keyed = self._keyed_worker(common)
            self.workers.append(self.keyed)

    def _keyed_worker(self, common: dict[str, float]) -> KeyedWorker:
        engine, self.keyed_store = build_keyed(self.run, self.settings)
        return KeyedWorker(
            self._consumer("keyed"),
            self.producer,
            [self.run.topics.keyed],
            keyed_engine=engine,
            alerts_topic=self.run.topics.alerts,
            dead_letters=self.dead_letters,
            store=self.keyed_store,
            job=self.run.group_id,
            **common,
        )

    def step(self) -> int:
        """One round over the stages; transient failures back off and are retried.

        While any stage has work, no stage waits for its batch to fill: one idle stage's wait
        (the keyed stage's, most of the time) would hold up every busy one. Only a round after
        one with nothing to do waits, the batch timeout shared between the stages.
        """
        handled = 0
        wait_s = self.run.batch_timeout_ms / 1000 / max(len(self.workers), 1) if self._quiet else 0
        if wait_s and any(w.alignment is not None and w.alignment.held_back for w in self.workers):
            # What a stage waits for is the other members' next word, not a new record.
            wait_s = min(wait_s, HELD_EVERY_S / len(self.workers))
        for worker in self.workers:
            try:
                done = worker.step(wait_s)
            except TransientError as exc:
                self._failed(worker, exc)
                return handled
            handled += done
            self.metrics.after_step(worker, done)
        self._quiet = handled == 0
        self.health.ready, self.health.reason = True, "ok"
        self._watch_store(handled)
        if handled:
            self.health.last_progress = time.monotonic()
        self._backoff = INITIAL_BACKOFF_S
        return handled

    def _watch_store(self, handled: int) -> None:
        """Logs the state store's outages and recoveries. A batch that needs the store finds
        an outage; an idle round pings the store (every ``STORE_CHECK_S``), so a store that is
        down while no record arrives (at start, on a quiet night) is logged too."""
        if self._store_down is not None:
            if handled or self._store_answers():
                down_s = time.monotonic() - self._store_down
                log.info("state store reachable again after %.0f s", down_s)
                self._store_down = None
        elif not handled and not self._store_answers():
            self._store_down = time.monotonic()
            log.warning("state store unreachable: no answer to PING at %s", self.run.state)

    def _store_answers(self) -> bool:
        now = time.monotonic()
        if now >= self._next_store_check:
            self._next_store_check = now + STORE_CHECK_S
            stores = [s for s in (self.store, self.keyed_store) if s is not None]
            self._store_answered = all(store.ping() for store in stores)
        return self._store_answered

    def _failed(self, worker: BatchWorker[Any], exc: TransientError) -> None:
        self.health.ready, self.health.reason = False, f"{worker.name}: {exc}"
        self.health.retries += 1
        store = isinstance(exc, StoreUnavailable)
        if store:
            self.health.store_errors += 1
            if self._store_down is None:
                self._store_down = time.monotonic()
                log.warning("state store unreachable: %s", exc)
            # Not answering as of now: an idle round pings again after the interval, not before.
            self._store_answered = False
            self._next_store_check = time.monotonic() + STORE_CHECK_S
        self.metrics.failed(worker.name, store=store)
        log.warning(
            "%s: %s; retrying in %.1f s without committing", worker.name, exc, self._backoff
        )
        self.stop_event.wait(self._backoff)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    def run_until_stopped(self, on_idle: Callable[[], None] | None = None) -> None:
        try:
            while not self.stop_event.is_set():
                if not self.step() and on_idle is not None:
                    on_idle()
            self._drain()
        finally:
            self.close()

    def _drain(self) -> None:
        """On shutdown, finish a batch that is half done so its offsets get committed."""
        for worker in self.workers:
            for _ in range(5):
                if not worker.busy:
                    break
                try:
                    worker.step()
                except TransientError as exc:
                    log.warning("%s: could not finish the batch on shutdown: %s", worker.name, exc)
                    time.sleep(0.5)

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.close()
            except Exception as exc:  # noqa: BLE001 - close the rest regardless
                log.warning("%s: close failed: %s", worker.name, exc)
        for store in (self.store, self.keyed_store):
            if store is not None:
                store.close()
