"""The job as a faust-streaming app: one agent per stage, driving the native stages' code.

Each agent takes batches from its stream (``noack_take``) and settles them as ``correlator run``
does: every record is decoded once (``prepare``); a stage with an event-time alignment offers
them to it and handles what it releases, the others handle the batch as it came. Once the
outputs are acknowledged by the broker and the state is written, the handled records (and only
those) are acknowledged; faust commits the acknowledged offsets on its commit timer. Records
still waiting in an alignment buffer stay unacknowledged, so they are read again after a crash;
a timer releases them when no new batch comes. A transient failure (store, broker) is retried in
place, never acknowledged. State stays in the core's store: faust's tables are not used.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, cast

import faust
from confluent_kafka import Message

from correlator.config import Settings
from correlator.errors import StoreUnavailable, TransientError
from correlator.metrics import JobMetrics
from correlator.runconfig import RunSettings
from correlator.runtime.align import HELD_EVERY_S, Alignment
from correlator.runtime.assembly import (
    build_alignment,
    build_keyed,
    build_user_engine,
    track_state,
)
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
        self.workers: list[BatchWorker[Any]] = []
        self.normalizer: NormalizeWorker | None = None
        self.correlator: CorrelateWorker | None = None
        self.keyed: KeyedWorker | None = None
        self._producers: dict[str, FaustProducer] = {}
        # One settle at a time per stage: the agent's batches and the timer's releases share
        # the stage's alignment, engine and producer.
        self._locks: dict[str, asyncio.Lock] = {}
        self._streams: dict[str, Any] = {}  # each agent's stream, to acknowledge through
        self._dead: DeadLetters | None = None
        self._backoff = INITIAL_BACKOFF_S
        self._aligned_at = 0.0
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
            self.normalizer.alignment = build_alignment(
                self.normalizer.consumer, run, settings, app_id(run), self.normalizer.name
            )
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
            # As natively: what it forwards to the keyed stage must be read in event-time step.
            self.correlator.alignment = build_alignment(
                self.correlator.consumer, run, settings, app_id(run), self.correlator.name
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
            self._locks[worker.name] = asyncio.Lock()
            self._agent(worker)
        if any(worker.alignment is not None for worker in self.workers):
            self.app.timer(HELD_EVERY_S)(self._align)
        self.app.before_revoke.append(self._give_up_waiting)
        # mode types a receiver as a bare function: bound methods do not match its stub.
        self.app.on_partitions_assigned.connect(self._on_assigned)  # type: ignore[arg-type]
        self.app.on_partitions_revoked.connect(self._on_revoked)  # type: ignore[arg-type]
        self.app.on_before_shutdown.connect(self._on_shutdown)  # type: ignore[arg-type]
        self.metrics.track_ready(lambda: readiness(self)[0])  # type: ignore[arg-type]
        add_pages(self.app, self.metrics, lambda: readiness(self))  # type: ignore[arg-type]

    def _agent(self, worker: BatchWorker[Any]) -> None:
        topic = self.app.topic(
            *worker.topics, key_type=bytes, value_type=bytes, value_serializer="raw"
        )
        runtime = self

        async def stage(stream: Any) -> None:
            # Batches carry the events themselves: dead letters need their origin, and a
            # record released later is acknowledged through its event.
            stream.add_processor(lambda _value: stream.current_event)
            runtime._streams[worker.name] = stream
            within = runtime.run.batch_timeout_ms / 1000
            async for events in stream.noack_take(runtime.run.batch_size, within):
                await runtime.settle(worker, events)

        self.app.agent(topic, name=f"correlator.{worker.name}")(stage)

    # -- the batch --------------------------------------------------------------------------------

    async def settle(self, worker: BatchWorker[Any], events: list[Any]) -> None:
        """Take a batch from the stream: decode it, handle what may be handled now, make that
        durable and acknowledge it."""
        async with self._locks[worker.name]:
            records = [FaustRecord(event) for event in events]
            # The stages read a record through confluent-kafka's Message accessors alone.
            messages = cast(list[Message], records)
            consumed = worker.stats.consumed
            for record in records:
                topic = record.topic()
                consumed[topic] = consumed.get(topic, 0) + 1
            consumer = cast(FaustAssignment, worker.consumer)
            consumer.received(records)
            alignment = worker.alignment
            if alignment is None:
                prepared = [worker.prepare(message)[1] for message in messages]
                await self._durable(worker, records, prepared)
                return
            for message in messages:
                time_ms, item = worker.prepare(message)
                alignment.offer(message, time_ms, item)
            await self._release(worker, alignment)

    async def _release(self, worker: BatchWorker[Any], alignment: Alignment[Any]) -> None:
        released = alignment.release()
        if released:
            records = [cast(FaustRecord, message) for message, _ in released]
            await self._durable(worker, records, [item for _, item in released])
        alignment.apply()
        cast(FaustAssignment, worker.consumer).hold()

    async def _durable(
        self, worker: BatchWorker[Any], batch: list[FaustRecord], prepared: list[Any]
    ) -> None:
        """Handle, deliver the outputs, write the state, then acknowledge the batch."""
        if not batch:
            return
        started = time.perf_counter()
        producer = self._producers[worker.name]
        phase = "handle"
        while True:
            try:
                if phase == "handle":
                    worker.handle(batch, prepared)  # type: ignore[arg-type]
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
        stream = self._streams[worker.name]
        for record in batch:
            await stream.ack(record.event)
        self._done(worker, batch, time.perf_counter() - started)

    def _done(self, worker: BatchWorker[Any], batch: list[FaustRecord], seconds: float) -> None:
        stats = worker.stats
        stats.batches += 1
        stats.commits += 1  # acknowledged: faust commits it on its timer
        stats.committed_messages += len(batch)
        stats.last_batch_s = seconds
        worker.after_batch(batch, seconds)  # type: ignore[arg-type]
        self.metrics.after_step(worker, len(batch))
        self.health.ready, self.health.reason = True, "ok"
        self.health.last_progress = time.monotonic()
        self._backoff = INITIAL_BACKOFF_S

    async def _failed(self, worker: BatchWorker[Any], exc: TransientError) -> None:
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
        """Release what waits in the buffers when no batch comes to do it (the last records of
        a stream that went quiet, or everything once a slower partition caught up): every
        ``ALIGN_EVERY_S``, and at each tick while other members hold a stage back."""
        now = time.monotonic()
        due = now - self._aligned_at >= ALIGN_EVERY_S
        if due:
            self._aligned_at = now
        for worker in self.workers:
            alignment = worker.alignment
            if alignment is None or not (due or alignment.held_back):
                continue
            async with self._locks[worker.name]:
                await self._release(worker, alignment)

    def _give_up_waiting(self, revoked: set[Any]) -> None:
        """Before faust waits for every record in hand to be acknowledged: those waiting in an
        alignment buffer never will be, so they are dropped and read again by the partitions'
        next owner (perhaps this worker) from the committed offsets."""
        # faust keeps no public view of these.
        unacked = cast(Any, self.app.consumer)._unacked_messages
        for worker in self.workers:
            alignment = worker.alignment
            if alignment is None:
                continue
            mine = cast(FaustAssignment, worker.consumer).mine(revoked)
            for tp in mine:
                for waiting in alignment.buffers.get((str(tp.topic), int(tp.partition)), ()):
                    unacked.discard(cast(FaustRecord, waiting.message).event.message)
            alignment.revoke(mine)

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
        for worker in self.workers:
            if worker.alignment is not None:
                worker.alignment.close()
