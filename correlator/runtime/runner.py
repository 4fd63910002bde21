"""`correlator run`: build the stages from settings and drive them until told to stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from correlator.config import Settings
from correlator.errors import StoreUnavailable, TransientError
from correlator.metrics import STATS_INTERVAL_MS, JobMetrics
from correlator.runconfig import RunSettings
from correlator.runtime.assembly import build_stateful_engine, track_state
from correlator.runtime.broker import create_topics
from correlator.runtime.clients import (
    TrackedProducer,
    consumer_config,
    new_consumer,
    producer_config,
)
from correlator.runtime.correlate_stage import CorrelateWorker
from correlator.runtime.dlq import DeadLetters
from correlator.runtime.normalize_stage import NormalizeWorker
from correlator.runtime.worker import BatchWorker
from correlator.state import StateStore
from correlator.wiring import build_normalizer

log = logging.getLogger(__name__)

INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0


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
        self.metrics = metrics if metrics is not None else JobMetrics()
        self.store: StateStore | None = None
        self.producer = TrackedProducer(producer_config(bootstrap, run.kafka))
        self.dead_letters = DeadLetters(self.producer, run.topics.dlq)
        self.workers: list[BatchWorker] = []
        self.normalizer: NormalizeWorker | None = None
        self.correlator: CorrelateWorker | None = None
        self._build()

    def _consumer(self, stage: str):  # type: ignore[no-untyped-def]
        group = f"{self.run.group_id}.{stage}"
        config = consumer_config(self.bootstrap, group, self.run.kafka)
        # Consumer lag and broker states for /metrics and /readyz come from these statistics.
        config.setdefault("statistics.interval.ms", STATS_INTERVAL_MS)
        interval_s = int(str(config["statistics.interval.ms"])) / 1000
        if interval_s > 0:
            config["stats_cb"] = self.metrics.stats_callback(stage, interval_s)
        return new_consumer(config)

    def _build(self) -> None:
        if self.run.create_topics:
            create_topics(self.bootstrap, {t: self.run.partitions for t in self.run.topics.all})
        common = dict(
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
            self.workers.append(self.normalizer)
        if self.run.stage in ("all", "correlate"):
            engine, self.store = build_stateful_engine(self.run, self.settings)
            self.correlator = CorrelateWorker(
                self._consumer("correlate"),
                self.producer,
                [self.run.topics.events],
                engine=engine,
                alerts_topic=self.run.topics.alerts,
                dead_letters=self.dead_letters,
                store=self.store,
                **common,
            )
            self.workers.append(self.correlator)
            track_state(self.metrics, engine, self.store)

    def step(self) -> int:
        """One round over the stages; transient failures back off and are retried."""
        handled = 0
        for worker in self.workers:
            try:
                done = worker.step()
            except TransientError as exc:
                self._failed(worker, exc)
                return handled
            handled += done
            self.metrics.after_step(worker, done)
        self.health.ready, self.health.reason = True, "ok"
        if handled:
            self.health.last_progress = time.monotonic()
        self._backoff = INITIAL_BACKOFF_S
        return handled

    def _failed(self, worker: BatchWorker, exc: TransientError) -> None:
        self.health.ready, self.health.reason = False, f"{worker.name}: {exc}"
        self.health.retries += 1
        store = isinstance(exc, StoreUnavailable)
        if store:
            self.health.store_errors += 1
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
        if self.store is not None:
            self.store.close()
