"""Dead letters: the original bytes, with headers saying why and where they came from.

A dead letter must always fit in one message: a record refused for being large would otherwise
be refused again by the producer (``MSG_SIZE_TOO_LARGE``) and stop the stage on the same offset
forever. Bodies over the producer's limit are cut, and the headers keep the original's size and
SHA-256 so that it can still be found in the source topic and checked.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Mapping

from confluent_kafka import Message

from correlator.errors import InvalidRecord
from correlator.runtime.clients import TrackedProducer

log = logging.getLogger(__name__)

MAX_DETAIL = 1000
DEFAULT_MESSAGE_MAX_BYTES = 1_000_000  # librdkafka's default message.max.bytes
# Room for the key, the headers (source headers are copied, up to this much) and the framing.
HEADROOM = 64 * 1024
MAX_COPIED_HEADERS = 32 * 1024


def message_limit(producer_config: Mapping[str, object]) -> int:
    """The largest dead-letter body the producer will accept, from its ``message.max.bytes``."""
    raw = producer_config.get("message.max.bytes", DEFAULT_MESSAGE_MAX_BYTES)
    try:
        limit = int(str(raw))
    except ValueError:
        limit = DEFAULT_MESSAGE_MAX_BYTES
    return max(limit - HEADROOM, 1024)


class DeadLetters:
    def __init__(
        self, producer: TrackedProducer, topic: str, *, max_bytes: int = DEFAULT_MESSAGE_MAX_BYTES
    ) -> None:
        self.producer = producer
        self.topic = topic
        self.max_bytes = max_bytes
        self.by_reason: Counter[str] = Counter()
        self.by_topic: Counter[str] = Counter()  # source topic of the record
        self.truncated = 0

    def send(
        self, message: Message, error: InvalidRecord, original: bytes, *, index: int | None = None
    ) -> None:
        location = f"{message.topic()}/{message.partition()}@{message.offset()}"
        error.at(location if index is None else f"{location}#{index}")
        headers = [
            ("correlator.reason", error.reason.encode()),
            ("correlator.detail", error.detail[:MAX_DETAIL].encode()),
            ("correlator.source.topic", (message.topic() or "").encode()),
            ("correlator.source.partition", str(message.partition()).encode()),
            ("correlator.source.offset", str(message.offset()).encode()),
        ]
        if error.field:
            headers.append(("correlator.field", error.field[:MAX_DETAIL].encode()))
        if index is not None:
            headers.append(("correlator.record_index", str(index).encode()))
        body = original
        if len(original) > self.max_bytes:
            body = original[: self.max_bytes]
            headers += _truncation_headers(original)
            self.truncated += 1
        headers += _copied(message.headers() or [])
        self.producer.produce(self.topic, body, key=_key(message.key()), headers=headers)
        self.by_reason[error.reason] += 1
        self.by_topic[message.topic() or ""] += 1
        log.debug("dead letter: %s", error)


def _truncation_headers(original: bytes) -> list[tuple[str, bytes]]:
    return [
        ("correlator.truncated", b"true"),
        ("correlator.original.size", str(len(original)).encode()),
        ("correlator.original.sha256", hashlib.sha256(original).hexdigest().encode()),
    ]


def _copied(
    source: Mapping[str, str | bytes | None] | list[tuple[str, str | bytes | None]],
) -> list[tuple[str, bytes]]:
    """The source message's headers, as far as they fit in the headroom."""
    pairs = list(source.items()) if isinstance(source, Mapping) else source
    out: list[tuple[str, bytes]] = []
    budget = MAX_COPIED_HEADERS
    for name, value in pairs:
        data = value.encode() if isinstance(value, str) else value or b""
        budget -= len(name) + len(data)
        if budget < 0:
            break
        out.append((name, data))
    return out


def _key(key: bytes | str | None) -> bytes | str | None:
    # A key is at most a few hundred bytes in practice; a hostile one must not break the limit.
    if key is not None and len(key) > MAX_DETAIL:
        return key[:MAX_DETAIL]
    return key
