"""The correlate stage: canonical events in, OCSF alerts (keyed by user) out."""

from __future__ import annotations

import logging
from collections import Counter

from confluent_kafka import Message

from correlator import __version__
from correlator.alerts import alert_key, encode_alert
from correlator.config import DAY_MS
from correlator.engine.engine import Engine
from correlator.engine.repository import CachedStates
from correlator.engine.state import UserState
from correlator.errors import InvalidRecord
from correlator.model import Event, Finding
from correlator.runtime.codec import decode_event, encode_keyed
from correlator.runtime.dlq import DeadLetters
from correlator.runtime.worker import BatchWorker
from correlator.state.base import StateStore

log = logging.getLogger(__name__)


class CorrelateWorker(BatchWorker):
    name = "correlate"

    def __init__(
        self,
        *args: object,
        engine: Engine,
        alerts_topic: str,
        dead_letters: DeadLetters,
        store: StateStore | None = None,
        keyed_topic: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.engine = engine
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

    def handle(self, batch: list[Message]) -> None:
        events: list[Event] = []
        newest = self.batch_newest = {}
        for message in batch:
            try:
                event = decode_event(message.value())
            except InvalidRecord as exc:
                self.dead_letters.send(message, exc, message.value() or b"")
                continue
            events.append(event)
            partition = message.partition() or 0
            newest[partition] = max(event.time, newest.get(partition, event.time))
        if self.cached is not None:
            self.cached.prefetch(self.engine.aliases.resolve(e.user) for e in events)
        for event in events:
            try:
                findings = self.engine.process(event)
            except Exception:
                log.exception("correlate: engine failed on %s %s", type(event).__name__, event.id)
                continue
            for finding in findings:
                self._publish(finding)
            self._forward()

    def _forward(self) -> None:
        """Hand the keyed stages their share; produced before the commit, like the alerts."""
        items = self.engine.take_forwards()
        if self.keyed_topic is None:
            return
        for item in items:
            self.producer.produce(self.keyed_topic, encode_keyed(item), key=item.key)
        self.forwarded += len(items)

    def _publish(self, finding: Finding) -> None:
        value = encode_alert(finding, product_version=__version__)
        self.producer.produce(self.alerts_topic, value, key=alert_key(finding))
        severity = finding.severity.name.lower()
        self.alerts[f"{finding.activity}:{severity}"] += 1
        self.findings[(finding.rule_id, severity, finding.activity)] += 1

    def persist(self) -> None:
        cached = self.cached
        if cached is None or self.store is None:
            return
        payload = cached.dirty_payload()
        if payload:
            self.store.write_batch(payload, ttl_ms=self.state_ttl_ms)
        cached.mark_clean()
        cached.evict_clean()

    def reset_state(self) -> None:
        if self.cached is not None:
            self.cached.forget()
