"""The normalize stage: raw topics in, canonical events (keyed by user) and dead letters out."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

import orjson
from confluent_kafka import Message

from correlator.errors import InvalidRecord
from correlator.model import event_kind
from correlator.normalize import Normalizer
from correlator.runtime.codec import encode_event
from correlator.runtime.dlq import DeadLetters
from correlator.runtime.worker import BatchWorker
from correlator.sources import decode_payload

log = logging.getLogger(__name__)


class NormalizeWorker(BatchWorker):
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

    def handle(self, batch: list[Message]) -> None:
        now_ms = int(self.clock() * 1000)
        for message in batch:
            value = message.value() or b""
            try:
                records = decode_payload(value)
            except InvalidRecord as exc:
                self.dead_letters.send(message, exc, value)
                continue
            for index, record in enumerate(records):
                self._normalize(message, index, record, len(records) > 1, now_ms)

    def _normalize(
        self, message: Message, index: int, record: object, many: bool, now_ms: int
    ) -> None:
        try:
            if isinstance(record, InvalidRecord):
                raise record
            events = self.normalizer.normalize(record, now_ms)
        except InvalidRecord as exc:
            original = _record_bytes(record) if many else (message.value() or b"")
            self.dead_letters.send(message, exc, original, index=index)
            return
        except Exception as exc:
            log.exception("normalize: unexpected error on %s", _where(message))
            error = InvalidRecord("internal_error", f"{type(exc).__name__}: {exc}")
            self.dead_letters.send(message, error, message.value() or b"", index=index)
            return
        for event in events:
            self.producer.produce(self.events_topic, encode_event(event), key=event.user)
            self.events[event_kind(event)] += 1


def _record_bytes(record: object) -> bytes:
    if isinstance(record, InvalidRecord):
        return b""
    try:
        return orjson.dumps(record)
    except TypeError:
        return repr(record).encode()


def _where(message: Message) -> str:
    return f"{message.topic()}/{message.partition()}@{message.offset()}"
