"""The job as a faust-streaming app: one agent per stage, driving the native stages' code.

Each agent takes batches from its stream (``noack_take``), has the stage handle them exactly as
``correlator run`` does, waits until the batch's outputs are acknowledged and its state is
written, and only then acknowledges the batch's events; faust commits acknowledged offsets on
its commit timer. A transient failure (store, broker) is retried in place, never acknowledged.
State stays in the core's store: faust's tables are not used.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, cast

import faust

from correlator.config import Settings
from correlator.errors import StoreUnavailable, TransientError
from correlator.metrics import JobMetrics
from correlator.runconfig import RunSettings
from correlator.runtime.align import Alignment
from correlator.runtime.assembly import build_keyed, build_user_engine, track_state
from correlator.runtime.clients import TrackedProducer
from correlator.runtime.correlate_stage import CorrelateWorker
from correlator.runtime.dlq import DeadLetters, message_limit
from correlator.runtime.faust_bridge import FaustProducer, FaustRecord
from correlator.runtime.faust_consumer import FaustAssignment
from correlator.runtime.faust_pages import add_pages
from correlator.runtime.faust_settings import app_id, app_settings
from correlator.runtime.faust_transport import App
from correlator.runtime.keyed_stage import KeyedWorker
from correlator.runtime.normalize_stage import NormalizeWorker
from correlator.runtime.runner import INITIAL_BACKOFF_S, MAX_BACKOFF_S, Health
from correlator.runtime.service import readiness
from correlator.runtime.worker import BatchWorker
from correlator.state import StateStore
from correlator.wiring import build_normalizer

log = logging.getLogger(__name__)

ALIGN_EVERY_S = 0.2  # as natively, the alignment is also looked at while no batch comes


class FaustRuntime:
    """The app, its stages and what /metrics and /readyz report about them."""

    def __init__(
        self,
        run: RunSettings,
        settings: Settings,
        *,
        bootstrap: str,
        metrics: JobMetrics | None = None,
    ) -> None:
        self.run = run
        self.settings = settings
        self.health = Health()
        self.metrics = metrics if metrics is not None else JobMetrics()
        detection = settings.detection
        self.metrics.learned_egress(len(detection.learned_asns), len(detection.learned_prefixes))
        self.app = App(app_id(run), **app_settings(run, bootstrap))
        self.store: StateStore | None = None
        self.keyed_store: StateStore | None = None
        self.workers: list[BatchWorker] = []
        self.normalizer: NormalizeWorker | None = None
        self.correlator: CorrelateWorker | None = None
        self.keyed: KeyedWorker | None = None
        self._producers: dict[str, FaustProducer] = {}
        self._dead: DeadLetters | None = None
        self._backoff = INITIAL_BACKOFF_S
        self._build()
        self._connect()

    def work(self, *, loglevel: str = "info") -> None:
        """Run a faust worker until SIGTERM or SIGINT.

        The worker owns the event loop and the signals: on SIGTERM it finishes and acknowledges
        the batches in hand, commits, and leaves.
        """
        worker = faust.Worker(self.app, loglevel=loglevel)
        # At levels above info faust's progress spinner sets the root logger to DEBUG, so that
        # it spins on every record: then each debug call in aiokafka builds a log record per
        # message.
        worker.spinner = None
        worker.execute_from_commandline()

    # -- building -------------------------------------------------------------------------------

    def _stage_kwargs(self, name: str) -> dict[str, Any]:
        producer = self._producers[name] = FaustProducer(self.app)
        letters = DeadLetters(
            cast(TrackedProducer, producer),
            self.run.topics.dlq,
            max_bytes=message_limit(self.run.kafka),
        )
        if self._dead is not None:  # one set of dead-letter counts for the job, as natively
            letters.by_reason, letters.by_topic = self._dead.by_reason, self._dead.by_topic
        self._dead = letters
        return dict(
            producer=producer,
            dead_letters=letters,
            batch_size=self.run.batch_size,
            batch_timeout_s=self.run.batch_timeout_ms / 1000,
        )

    def _build(self) -> None:
        run, settings = self.run, self.settings
        if run.stage in ("all", "normalize"):
            self.normalizer = NormalizeWorker(
                FaustAssignment(self.app),
                topics=run.topics.raw,
                normalizer=build_normalizer(settings),
                events_topic=run.topics.events,
                **self._stage_kwargs("normalize"),
            )
            # Within a quarter of the lateness, whatever order a backlog's fetches come in.
            ahead_ms = settings.detection.lateness_ms // 4
            self.normalizer.alignment = Alignment(self.normalizer.consumer, ahead_ms)
            self.workers.append(self.normalizer)
        if run.stage in ("all", "correlate"):
            engine, self.store = build_user_engine(run, settings)
            self.correlator = CorrelateWorker(
                FaustAssignment(self.app),
                topics=[run.topics.events],
                engine=engine,
                alerts_topic=run.topics.alerts,
                store=self.store,
                job=run.group_id,
                keyed_topic=run.topics.keyed,
                **self._stage_kwargs("correlate"),
            )
            self.workers.append(self.correlator)
            track_state(self.metrics, engine, self.store)
        if run.stage in ("all", "keyed"):
            keyed_engine, self.keyed_store = build_keyed(run, settings)
            self.keyed = KeyedWorker(
                FaustAssignment(self.app),
                topics=[run.topics.keyed],
                keyed_engine=keyed_engine,
                alerts_topic=run.topics.alerts,
                store=self.keyed_store,
                **self._stage_kwargs("keyed"),
            )
            self.workers.append(self.keyed)

    def _connect(self) -> None:
        for worker in self.workers:
            self._agent(worker)
        if self.normalizer is not None and self.normalizer.alignment is not None:
            self.app.timer(ALIGN_EVERY_S)(self._align)
        # mode types a receiver as a bare function: bound methods do not match its stub.
        self.app.on_partitions_assigned.connect(self._on_assigned)  # type: ignore[arg-type]
        self.app.on_partitions_revoked.connect(self._on_revoked)  # type: ignore[arg-type]
        self.app.on_before_shutdown.connect(self._on_shutdown)  # type: ignore[arg-type]
        self.metrics.track_ready(lambda: readiness(self)[0])  # type: ignore[arg-type]
        add_pages(self.app, self.metrics, lambda: readiness(self))  # type: ignore[arg-type]

    def _agent(self, worker: BatchWorker) -> None:
        topic = self.app.topic(
            *worker.topics, key_type=bytes, value_type=bytes, value_serializer="raw"
        )
        runtime = self

        async def stage(stream: Any) -> None:
            # Batches carry the events themselves: dead letters need their origin.
            stream.add_processor(lambda _value: stream.current_event)
            within = runtime.run.batch_timeout_ms / 1000
            async for events in stream.noack_take(runtime.run.batch_size, within):
                await runtime.settle(worker, events)
                for event in events:
                    await stream.ack(event)

        self.app.agent(topic, name=f"correlator.{worker.name}")(stage)

    # -- the batch --------------------------------------------------------------------------------

    async def settle(self, worker: BatchWorker, events: list[Any]) -> None:
        """Make one batch durable: handle it, deliver its outputs, write its state."""
        batch = [FaustRecord(event.message) for event in events]
        started = time.perf_counter()
        producer = self._producers[worker.name]
        phase = "handle"
        while True:
            try:
                if phase == "handle":
                    worker.handle(batch)  # type: ignore[arg-type]
                    phase = "deliver"
                if phase == "deliver":
                    await producer.delivered()
                    phase = "persist"
                worker.persist()
                break
            except TransientError as exc:
                if phase != "persist":  # outputs may be half sent: the batch is handled again
                    producer.discard()
                    worker.rewind()
                    phase = "handle"
                await self._failed(worker, exc)
        self._done(worker, batch, time.perf_counter() - started)

    def _done(self, worker: BatchWorker, batch: list[FaustRecord], seconds: float) -> None:
        stats = worker.stats
        for record in batch:
            stats.consumed[record.topic()] = stats.consumed.get(record.topic(), 0) + 1
        stats.batches += 1
        stats.commits += 1  # acknowledged: faust commits it on its timer
        stats.committed_messages += len(batch)
        stats.last_batch_s = seconds
        consumer = cast(FaustAssignment, worker.consumer)
        consumer.handled(batch)
        if worker.alignment is not None:
            worker.alignment.apply()
            consumer.hold()
        worker.after_batch(batch, seconds)  # type: ignore[arg-type]
        self.metrics.after_step(worker, len(batch))
        self.health.ready, self.health.reason = True, "ok"
        self.health.last_progress = time.monotonic()
        self._backoff = INITIAL_BACKOFF_S

    async def _failed(self, worker: BatchWorker, exc: TransientError) -> None:
        self.health.ready, self.health.reason = False, f"{worker.name}: {exc}"
        self.health.retries += 1
        store = isinstance(exc, StoreUnavailable)
        self.health.store_errors += store
        self.metrics.failed(worker.name, store=store)
        log.warning(
            "%s: %s; retrying in %.1f s, nothing acknowledged", worker.name, exc, self._backoff
        )
        await asyncio.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    async def _align(self) -> None:
        normalizer = self.normalizer
        if normalizer is not None and normalizer.alignment is not None:
            normalizer.alignment.apply()
            cast(FaustAssignment, normalizer.consumer).hold()

    # -- faust's signals ---------------------------------------------------------------------

    async def _on_assigned(self, sender: Any, *args: Any, **_: Any) -> None:
        assigned: set[Any] = args[0]  # the signal's one argument: every partition now held
        for worker in self.workers:
            await cast(FaustAssignment, worker.consumer).assigned(assigned)
            self.metrics.after_step(worker, 0)
        self.health.ready, self.health.reason = True, "ok"

    async def _on_revoked(self, sender: Any, *args: Any, **_: Any) -> None:
        revoked: set[Any] = args[0]
        # faust has waited for the batches in hand (stream_wait_empty): all are acknowledged.
        for worker in self.workers:
            cast(FaustAssignment, worker.consumer).revoked(revoked)

    async def _on_shutdown(self, sender: Any, *_args: Any, **_: Any) -> None:
        for store in (self.store, self.keyed_store):
            if store is not None:
                store.close()
