"""The seams the native stages talk through, over faust: its records and its producer.

The stages (``NormalizeWorker``, ``CorrelateWorker``, ``KeyedWorker``) are written against a
confluent-kafka message and a producer with ``produce``/``poll``. These adapters give them
faust's equivalents, so the faust runtime runs the very same handling code: parsing, dead
letters, engines, alert encoding, persistence. The consumer's side is ``faust_consumer``.
"""

from __future__ import annotations

import asyncio
import random
import zlib
from typing import Any

from aiokafka.errors import KafkaError

from correlator.runtime.clients import DeliveryFailed

Headers = list[tuple[str, bytes]]


class FaustRecord:
    """One consumed faust event, read through confluent-kafka's ``Message`` accessors.

    It keeps the event: a record waiting in the alignment's buffer is acknowledged only once it
    is released and handled, possibly batches after the one that brought it.
    """

    __slots__ = ("_message", "event")

    def __init__(self, event: Any) -> None:
        self.event = event
        self._message = event.message

    def topic(self) -> str:
        return str(self._message.topic)

    def partition(self) -> int:
        return int(self._message.partition)

    def offset(self) -> int:
        return int(self._message.offset)

    def key(self) -> bytes | None:
        key = self._message.key
        return key if key is None or isinstance(key, bytes) else str(key).encode()

    def value(self) -> bytes | None:
        value = self._message.value
        return value if value is None or isinstance(value, bytes) else str(value).encode()

    def headers(self) -> Headers:
        headers = self._message.headers or []
        items = headers.items() if isinstance(headers, dict) else headers
        return [(str(k), v if isinstance(v, bytes) else str(v).encode()) for k, v in items]

    def error(self) -> None:
        return None


class FaustProducer:
    """Collects what a batch produces; :meth:`delivered` sends it and waits for every ack.

    The stages produce synchronously inside ``handle``, which never yields to the event loop,
    so nothing could be sent before it returns anyway: the batch's messages are handed to
    faust's producer together, then awaited together before the state is written and the
    offsets acknowledged.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._pending: list[tuple[str, bytes | None, bytes, Headers | None]] = []
        self.produced = 0

    def produce(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None = None,
        headers: Headers | None = None,
    ) -> None:
        raw_key = key.encode() if isinstance(key, str) else key
        self._pending.append((topic, raw_key, value, headers or None))
        self.produced += 1

    def poll(self) -> None:
        return None

    async def delivered(self) -> None:
        """Send what the batch produced and wait for every ack; raise if any was refused."""
        pending, self._pending = self._pending, []
        send = self._app.producer.send
        acks: list[Any] = []
        try:
            for topic, key, value, headers in pending:
                # Returns once the message is buffered; the future resolves on the broker's ack.
                acks.append(await send(topic, key, value, None, None, headers))
        except (KafkaError, ConnectionError, TimeoutError) as exc:  # handle the batch again
            raise DeliveryFailed(f"sending failed: {exc!r}") from exc
        results = await asyncio.gather(*acks, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise DeliveryFailed(f"{len(failures)} messages failed: {failures[0]!r}")

    def discard(self) -> None:
        """Forget the sends of a batch that will be handled again."""
        self._pending = []


def librdkafka_partitioner(key: bytes | None, partitions: list[int], available: list[int]) -> int:
    """librdkafka's default (``consistent_random``): CRC-32 of the key, random without one.

    The native runtime's producer partitions this way, so a user's events land on the same
    partition whichever runtime normalized them, and the two can share the events topic.
    """
    if key is None:
        return random.choice(available or partitions)
    return partitions[zlib.crc32(key) % len(partitions)]
