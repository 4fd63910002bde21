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
from correlator.errors import InvalidRecord, TransientError
from correlator.keyed import KeyedEvent
from correlator.model import Finding
from correlator.runtime.codec import decode_keyed
from correlator.runtime.correlate_stage import internal_error, persist_states
from correlator.runtime.dlq import DeadLetters
from correlator.runtime.store_guard import StoreGuard
from correlator.runtime.worker import BatchWorker
from correlator.state.base import StateStore

log = logging.getLogger(__name__)


class KeyedWorker(BatchWorker[KeyedEvent | InvalidRecord]):
    name = "keyed"

    def __init__(
        self,
        *args: object,
        keyed_engine: KeyedEngine,
        alerts_topic: str,
        dead_letters: DeadLetters,
        store: StateStore | None = None,
        job: str = "correlator",
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.keyed_engine = keyed_engine
        self.alerts_topic = alerts_topic
        self.dead_letters = dead_letters
        self.store = store
        self.guard = StoreGuard(self.name, store, job)
        self.findings: Counter[tuple[str, str, str]] = Counter()  # (rule, severity, activity)
        config = keyed_engine.config
        self.state_ttl_ms = config.keyed_retention_ms + config.lateness_ms

    @property
    def cached(self) -> CachedStates[KeyState] | None:
        states = self.keyed_engine.states
        return states if isinstance(states, CachedStates) else None

    def prepare(self, message: Message) -> tuple[int | None, KeyedEvent | InvalidRecord]:
        try:
            item = decode_keyed(message.value())
        except InvalidRecord as exc:
            return None, exc
        return item.event.time, item

    def handle(self, batch: list[Message], prepared: list[KeyedEvent | InvalidRecord]) -> None:
        items: list[KeyedEvent] = []
        kept: list[Message] = []
        for message, item in zip(batch, prepared, strict=True):
            if isinstance(item, InvalidRecord):
                self.dead_letters.send(message, item, message.value() or b"")
                continue
            items.append(item)
            kept.append(message)
        if self.cached is not None and self.cached.prefetch(item.key for item in items):
            # After the reads: state read from a wiped store must never reach an alert.
            self._check_store()
        for message, item in zip(kept, items, strict=True):
            for finding in self._process(message, item):
                self._publish(finding)

    def _process(self, message: Message, item: KeyedEvent) -> list[Finding]:
        """As in the user stage: the store's failures propagate (nothing is committed); an
        event's own defect (too late, a rule's failure) is dead-lettered, and the batch goes on.
        """
        try:
            return self.keyed_engine.process(item)
        except TransientError:
            raise
        except InvalidRecord as exc:
            self.dead_letters.send(message, exc, message.value() or b"")
        except Exception as exc:  # a defect on this event, never the batch's
            log.exception("keyed: engine failed on %s for %s", item.event.id, item.key)
            self.dead_letters.send(message, internal_error(exc), message.value() or b"")
        return []

    def _publish(self, finding: Finding) -> None:
        value = encode_alert(finding, product_version=__version__)
        self.producer.produce(self.alerts_topic, value, key=alert_key(finding))
        self.findings[(finding.rule_id, finding.severity.name.lower(), finding.activity)] += 1

    def persist(self) -> None:
        if self.cached is not None and self.store is not None:
            persist_states(self.cached, self.store, self.state_ttl_ms, self._check_store)

    def _check_store(self) -> None:
        self.guard.check(self.consumer)

    def reset_state(self) -> None:
        if self.cached is not None:
            self.cached.forget()
