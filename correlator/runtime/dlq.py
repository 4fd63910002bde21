"""Dead letters: the original bytes, with headers saying why and where they came from."""

from __future__ import annotations

import logging
from collections import Counter

from confluent_kafka import Message

from correlator.errors import InvalidRecord
from correlator.runtime.clients import TrackedProducer

log = logging.getLogger(__name__)

MAX_DETAIL = 1000


class DeadLetters:
    def __init__(self, producer: TrackedProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic
        self.by_reason: Counter[str] = Counter()
        self.by_topic: Counter[str] = Counter()  # source topic of the record

    def send(
        self, message: Message, error: InvalidRecord, original: bytes, *, index: int | None = None
    ) -> None:
        location = f"{message.topic()}/{message.partition()}@{message.offset()}"
        error.at(location if index is None else f"{location}#{index}")
        headers: list[tuple[str, str | bytes | None]] = [
            ("correlator.reason", error.reason.encode()),
            ("correlator.detail", error.detail[:MAX_DETAIL].encode()),
            ("correlator.source.topic", (message.topic() or "").encode()),
            ("correlator.source.partition", str(message.partition()).encode()),
            ("correlator.source.offset", str(message.offset()).encode()),
        ]
        if error.field:
            headers.append(("correlator.field", error.field.encode()))
        if index is not None:
            headers.append(("correlator.record_index", str(index).encode()))
        source = message.headers() or []
        pairs = source.items() if isinstance(source, dict) else source
        headers += [(k, v or b"") for k, v in pairs]
        self.producer.produce(self.topic, original, key=message.key(), headers=headers)
        self.by_reason[error.reason] += 1
        self.by_topic[message.topic() or ""] += 1
        log.debug("dead letter: %s", error)
