"""The correlate stage: canonical events in, OCSF alerts (keyed by user) out."""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from correlator import __version__
from correlator.alerts import alert_key, encode_alert
from correlator.config import DAY_MS
from correlator.engine.engine import Engine
from correlator.engine.repository import CachedStates, S
from correlator.engine.state import UserState
from correlator.errors import InvalidRecord, TransientError
from correlator.model import Event, Finding
from correlator.runtime.codec import decode_event, encode_keyed
from correlator.runtime.dlq import DeadLetters
from correlator.runtime.store_guard import StoreGuard
from correlator.runtime.worker import BatchWorker
from correlator.state.base import StateStore

log = logging.getLogger(__name__)


def internal_error(exc: Exception) -> InvalidRecord:
    """A dead-letter reason for code that failed on a record: the exception and where it arose."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    return InvalidRecord("internal_error", f"{type(exc).__name__}: {exc} (at {where})")


def persist_states(
    cached: CachedStates[S],
    store: StateStore,
    ttl_ms: int,
    check: Callable[[], None] | None = None,
) -> None:
    """The batch's changed states in one write, then forget the clean ones beyond the bound."""
    payload = cached.dirty_payload()
    if payload:
        store.write_batch(payload, ttl_ms=ttl_ms)
    if check is not None:
        check()  # before the commit: offsets must never outrun a wiped store
    cached.mark_clean()
    cached.evict_clean()


class CorrelateWorker(BatchWorker[Event | InvalidRecord]):
    name = "correlate"

    def __init__(
        self,
        *args: object,
        engine: Engine,
        alerts_topic: str,
        dead_letters: DeadLetters,
        store: StateStore | None = None,
        job: str = "correlator",
        keyed_topic: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.engine = engine
        self.job = job
        self.guard = StoreGuard(self.name, store, job)
        self.partitions_lost = 0  # memory state dropped by rebalances
        self._revoked_from: set[tuple[str, int]] = set()
        self.keyed_topic = keyed_topic
        self.forwarded = 0  # messages produced for the keyed stages
        self.alerts_topic = alerts_topic
        self.dead_letters = dead_letters
        self.store = store
        self.alerts: Counter[str] = Counter()  # by severity and activity
        self.findings: Counter[tuple[str, str, str]] = Counter()  # (rule, severity, activity)
        self.batch_newest: dict[int, int] = {}  # events partition -> newest event time (metrics)
        # State must outlive the baseline lookback; Redis forgets idle users after it.
        lookback = engine.config.baseline_lookback_days + 1
        self.state_ttl_ms = lookback * DAY_MS

    @property
    def cached(self) -> CachedStates[UserState] | None:
        states = self.engine.states
        return states if isinstance(states, CachedStates) else None

    def prepare(self, message: Message) -> tuple[int | None, Event | InvalidRecord]:
        try:
            event = decode_event(message.value())
        except InvalidRecord as exc:
            return None, exc
        return event.time, event

    def handle(self, batch: list[Message], prepared: list[Event | InvalidRecord]) -> None:
        events: list[tuple[Message, Event]] = []
        newest = self.batch_newest = {}
        for message, event in zip(batch, prepared, strict=True):
            if isinstance(event, InvalidRecord):
                self.dead_letters.send(message, event, message.value() or b"")
                continue
            events.append((message, event))
            partition = message.partition() or 0
            newest[partition] = max(event.time, newest.get(partition, event.time))
        users = (self.engine.aliases.resolve(e.user) for _, e in events)
        if self.cached is not None and self.cached.prefetch(users):
            # After the reads: state read from a wiped store must never reach an alert.
            self._check_store()
        for message, event in events:
            for finding in self._process(message, event):
                self._publish(finding, message)
            self._forward()

    def _forward(self) -> None:
        """Hand the keyed stages their share; produced before the commit, like the alerts."""
        items = self.engine.take_forwards()
        if self.keyed_topic is None:
            return
        for item in items:
            self.producer.produce(self.keyed_topic, encode_keyed(item), key=item.key)
        self.forwarded += len(items)

    def _process(self, message: Message, event: Event) -> list[Finding]:
        """The engine's findings for one event; its failures take one of two named paths.

        A ``TransientError`` (the store, the network) propagates: the worker rewinds the batch
        and commits nothing. Anything else is this event's defect: dead-lettered with the
        reason (``too_late``, or ``internal_error`` with the traceback's summary) and counted,
        and the batch goes on.
        """
        try:
            return self.engine.process(event)
        except TransientError:
            raise
        except InvalidRecord as exc:
            self.dead_letters.send(message, exc, message.value() or b"")
        except Exception as exc:  # a defect on this event, never the batch's
            log.exception("correlate: engine failed on %s %s", type(event).__name__, event.id)
            self.dead_letters.send(message, internal_error(exc), message.value() or b"")
        return []

    def _publish(self, finding: Finding, source: Message) -> None:
        try:
            value = encode_alert(finding, product_version=__version__)
        except Exception as exc:  # the encoder's defect on this finding: its event is dead-lettered
            log.exception("correlate: encoding the alert of finding %s failed", finding.uid)
            self.dead_letters.send(source, internal_error(exc), source.value() or b"")
            return
        self.producer.produce(self.alerts_topic, value, key=alert_key(finding))
        severity = finding.severity.name.lower()
        self.alerts[f"{finding.activity}:{severity}"] += 1
        self.findings[(finding.rule_id, severity, finding.activity)] += 1

    def persist(self) -> None:
        if self.cached is not None and self.store is not None:
            persist_states(self.cached, self.store, self.state_ttl_ms, self._check_store)

    # -- memory state is one worker's ------------------------------------------------------

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        super()._assigned(consumer, partitions)
        if self.cached is not None:
            return
        gone = self._revoked_from - {(tp.topic, tp.partition) for tp in partitions}
        self._revoked_from = set()
        if gone:
            # Another member took these over, without the state held here for their users.
            self.partitions_lost += len(gone)
            log.warning(
                "correlate: memory state of %d partitions lost in a rebalance; their users' "
                "baselines and pending joins start empty on the member that took them over",
                len(gone),
            )
        if partitions and len(partitions) < self._partition_count():
            log.warning(
                "correlate: memory state, yet this member holds %d of %d partitions: another "
                "member shares the group, and state moves with no partition. Use Redis state "
                "with more than one worker",
                len(partitions),
                self._partition_count(),
            )

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        super()._revoked(consumer, partitions)
        self._revoked_from |= {(tp.topic, tp.partition) for tp in partitions}

    def _partition_count(self) -> int:
        try:
            topics = self.consumer.list_topics(self.topics[0], timeout=5).topics
            return len(topics[self.topics[0]].partitions)
        except (KafkaException, KeyError):
            return 0

    def _check_store(self) -> None:
        self.guard.check(self.consumer)

    def reset_state(self) -> None:
        if self.cached is not None:
            self.cached.forget()
