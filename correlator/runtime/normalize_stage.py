"""The normalize stage: raw topics in, canonical events (keyed by user) and dead letters out."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

import orjson
from confluent_kafka import Message

from correlator.errors import InvalidRecord
from correlator.model import Event, event_kind
from correlator.normalize import Normalizer, Outcome
from correlator.runtime.codec import encode_event
from correlator.runtime.dlq import DeadLetters
from correlator.runtime.worker import BatchWorker
from correlator.sources import SyslogLine, decode_payload
from correlator.sources.reasons import TOO_LARGE, is_ignored

log = logging.getLogger(__name__)


# What the normalizer made of one raw record: per record inside it, its events or why not;
# or why the whole body was refused.
Outcomes = list[Outcome] | InvalidRecord


class NormalizeWorker(BatchWorker[Outcomes]):
    name = "normalize"

    def __init__(
        self,
        *args: object,
        normalizer: Normalizer,
        events_topic: str,
        dead_letters: DeadLetters,
        clock: Callable[[], float] = time.time,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.normalizer = normalizer
        self.events_topic = events_topic
        self.dead_letters = dead_letters
        self.clock = clock
        self.events: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()  # valid records of no use here, by reason

    def prepare(self, message: Message) -> tuple[int | None, Outcomes]:
        """The record parsed once; its event time is its newest event's (a page's latest)."""
        try:
            outcomes = self.normalizer.normalize_bytes(message.value() or b"", self._now_ms())
        except InvalidRecord as exc:
            return None, exc
        times = [e.time for o in outcomes if isinstance(o, list) for e in o]
        return (max(times) if times else None), outcomes

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def handle(self, batch: list[Message], prepared: list[Outcomes]) -> None:
        for message, outcomes in zip(batch, prepared, strict=True):
            value = message.value() or b""
            if isinstance(outcomes, InvalidRecord):
                self._refuse(message, outcomes, value)
                continue
            records: list[object] | None = None  # decoded again only when one is refused
            for index, outcome in enumerate(outcomes):
                if not isinstance(outcome, Exception):
                    refused = self._emit(outcome)
                    if refused is None:
                        continue
                    outcome = refused
                if isinstance(outcome, InvalidRecord) and is_ignored(outcome):
                    self.ignored[outcome.reason] += 1  # before re-decoding: most audits are this
                    continue
                if records is None and len(outcomes) > 1:
                    records = decode_payload(value)  # the same bytes decoded before: no raise
                original = _record_bytes(records[index], value) if records is not None else value
                self._reject(message, index, outcome, original)

    def _emit(self, events: list[Event]) -> InvalidRecord | None:
        """Publishes the events, or refuses the record when one would not fit in a message
        (twenty 60 KB fields): the producer would raise on it, batch after batch."""
        encoded = [encode_event(event) for event in events]
        largest = max((len(value) for value in encoded), default=0)
        if largest > self.dead_letters.max_bytes:
            return InvalidRecord(TOO_LARGE, f"its event takes {largest} bytes, over the limit")
        for event, value in zip(events, encoded, strict=True):
            self.producer.produce(self.events_topic, value, key=event.user)
            self.events[event_kind(event)] += 1
        return None

    def _refuse(
        self, message: Message, error: InvalidRecord, original: bytes, index: int | None = None
    ) -> None:
        if is_ignored(error):
            self.ignored[error.reason] += 1
        else:
            self.dead_letters.send(message, error, original, index=index)

    def _reject(self, message: Message, index: int, error: Exception, original: bytes) -> None:
        if isinstance(error, InvalidRecord):
            self._refuse(message, error, original, index)
            return
        log.error("normalize: unexpected error on %s", _where(message), exc_info=error)
        internal = InvalidRecord("internal_error", f"{type(error).__name__}: {error}")
        self.dead_letters.send(message, internal, message.value() or b"", index=index)


def _record_bytes(record: object, body: bytes) -> bytes:
    if isinstance(record, InvalidRecord):
        return body  # a line or row that did not parse has no bytes of its own: keep them all
    if isinstance(record, SyslogLine):
        return bytes(record)  # the line as the gateway sent it, not JSON
    try:
        return orjson.dumps(record)
    except TypeError:
        return repr(record).encode()


def _where(message: Message) -> str:
    return f"{message.topic()}/{message.partition()}@{message.offset()}"
