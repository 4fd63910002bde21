"""The keyed stage: what the user stage forwarded (keyed by phone number, agent or tenant) in,
OCSF alerts out. Its state lives in the store under its own namespace, one value per key."""

from __future__ import annotations

import logging
from collections import Counter

from confluent_kafka import Message

from correlator import __version__
from correlator.alerts import alert_key, encode_alert
from correlator.engine.keyed import KeyedEngine, KeyState
from correlator.engine.repository import CachedStates
from correlator.errors import InvalidRecord
from correlator.keyed import KeyedEvent
from correlator.model import Finding
from correlator.runtime.codec import decode_keyed
from correlator.runtime.dlq import DeadLetters
from correlator.runtime.worker import BatchWorker
from correlator.state.base import StateStore

log = logging.getLogger(__name__)


class KeyedWorker(BatchWorker):
    name = "keyed"

    def __init__(
        self,
        *args: object,
        keyed_engine: KeyedEngine,
        alerts_topic: str,
        dead_letters: DeadLetters,
        store: StateStore | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.keyed_engine = keyed_engine
        self.alerts_topic = alerts_topic
        self.dead_letters = dead_letters
        self.store = store
        self.findings: Counter[tuple[str, str, str]] = Counter()  # (rule, severity, activity)
        config = keyed_engine.config
        self.state_ttl_ms = config.keyed_retention_ms + config.lateness_ms

    @property
    def cached(self) -> CachedStates[KeyState] | None:
        states = self.keyed_engine.states
        return states if isinstance(states, CachedStates) else None

    def handle(self, batch: list[Message]) -> None:
        items: list[KeyedEvent] = []
        for message in batch:
            try:
                items.append(decode_keyed(message.value()))
            except InvalidRecord as exc:
                self.dead_letters.send(message, exc, message.value() or b"")
        if self.cached is not None:
            self.cached.prefetch(item.key for item in items)
        for item in items:
            for finding in self.keyed_engine.process(item):
                self._publish(finding)

    def _publish(self, finding: Finding) -> None:
        value = encode_alert(finding, product_version=__version__)
        self.producer.produce(self.alerts_topic, value, key=alert_key(finding))
        self.findings[(finding.rule_id, finding.severity.name.lower(), finding.activity)] += 1

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
