"""confluent-kafka clients configured for at-least-once, and a producer that tracks delivery."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer

from correlator.errors import ConfigError, TransientError
from correlator.runtime.kafka_log import client_logging

log = logging.getLogger(__name__)

FLUSH_TIMEOUT_S = 30.0
C = TypeVar("C")


class DeliveryFailed(TransientError):
    """The broker refused some messages: they are gone and must be produced again."""


def consumer_config(
    bootstrap: str, group_id: str, props: Mapping[str, object]
) -> dict[str, object]:
    config: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "group.id": group_id,
        # Offsets are committed by hand, after outputs and state are durable.
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 1_000,
        # Brokers that do not answer a fetch early when data arrives would otherwise hold every
        # idle fetch for 500 ms, and an alert waits behind two of them (raw, then events).
        "fetch.wait.max.ms": 10,
        **client_logging(bootstrap),
    }
    config.update(_without(props, _PRODUCER_ONLY))
    return config


# Pass-through properties that only a consumer understands (librdkafka warns on each otherwise).
_CONSUMER_ONLY = (
    "group.",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "auto.offset.reset",
    "max.poll.interval.ms",
    "enable.auto.",
    "fetch.",
    "partition.assignment.",
    "isolation.level",
    "auto.commit.",
    "queued.",
    "check.crcs",
)
_PRODUCER_ONLY = (
    "acks",
    "linger.ms",
    "batch.",
    "compression.",
    "enable.idempotence",
    "message.timeout.ms",
    "retries",
    "queue.buffering.",
    "delivery.timeout.ms",
    "max.in.flight",
    "transactional.",
    "request.required.acks",
)


def _without(props: Mapping[str, object], prefixes: tuple[str, ...]) -> dict[str, object]:
    return {k: v for k, v in props.items() if not k.startswith(prefixes)}


def admin_config(props: Mapping[str, object]) -> dict[str, object]:
    """The properties an admin client understands: neither consumer- nor producer-only."""
    return _without(_without(props, _CONSUMER_ONLY), _PRODUCER_ONLY)


def producer_config(bootstrap: str, props: Mapping[str, object]) -> dict[str, object]:
    config: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "batch.num.messages": 10_000,
        **client_logging(bootstrap),
    }
    config.update(_without(props, _CONSUMER_ONLY))
    return config


class TrackedProducer:
    """Produces and remembers failures; ``flush`` raises unless every message was acknowledged."""

    def __init__(self, config: Mapping[str, object]) -> None:
        self._producer = _client(Producer, config)
        self._failures: list[str] = []
        self.produced = 0

    def produce(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None = None,
        headers: list[tuple[str, str | bytes | None]] | None = None,
    ) -> None:
        while True:
            try:
                self._producer.produce(
                    topic, value=value, key=key, headers=headers, on_delivery=self._on_delivery
                )
                self.produced += 1
                return
            except BufferError:
                # The local queue is full: let librdkafka send some before trying again.
                self._producer.poll(0.05)

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._failures.append(f"{msg.topic()}: {err.str()}")

    def poll(self) -> None:
        self._producer.poll(0)

    def flush(self, timeout: float = FLUSH_TIMEOUT_S) -> None:
        remaining = self._producer.flush(timeout)
        failures, self._failures = self._failures, []
        if remaining:
            raise TransientError(f"{remaining} messages not acknowledged after {timeout:.0f} s")
        if failures:
            raise DeliveryFailed(f"{len(failures)} messages failed: {failures[0]}")


def new_consumer(config: Mapping[str, object]) -> Consumer:
    return _client(Consumer, config)


def _client(kind: Callable[[dict[str, object]], C], config: Mapping[str, object]) -> C:
    """An unknown or invalid property (``-X foo.bar=1``) is a configuration error, one line."""
    try:
        return kind(dict(config))
    except KafkaException as exc:
        error = exc.args[0] if exc.args else None
        text = error.str() if isinstance(error, KafkaError) else str(exc)
        raise ConfigError(f"Kafka client: {text}") from None
