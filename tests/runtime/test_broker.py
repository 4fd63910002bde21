"""The embedded broker and the topic helper, exercised with confluent-kafka.

Except for the start/stop tests these run against ``kafka_bootstrap``, so they also hold
against a real cluster when ``KAFKA_BOOTSTRAP_SERVERS`` is set.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from correlator.runtime.broker import (
    BrokerError,
    EmbeddedBroker,
    create_topics,
    free_port,
    messages_on,
)

# Tansu's quirk: a group whose member vanished waits out the session timeout; keep it short.
CONSUMER = {
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "session.timeout.ms": 6000,
}


class Topics(Protocol):
    """The ``kafka_topics`` fixture (tests/conftest.py ``TopicFactory``)."""

    prefix: str
    created: list[str]

    def __call__(
        self, name: str, partitions: int = 1, *, config: Mapping[str, str] | None = None
    ) -> str: ...

    def group(self, name: str = "group") -> str: ...


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def produce(bootstrap: str, topic: str, count: int, start: int = 0) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(start, start + count):
        producer.produce(topic, key=f"user-{i % 3}", value=f"event-{i}".encode())
    assert producer.flush(10) == 0


def consume(consumer: Consumer, count: int, timeout: float = 30) -> list[Message]:
    got: list[Message] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is not None:
            assert message.error() is None, message.error()
            got.append(message)
    return got


@pytest.fixture
def consumers(kafka_bootstrap: str) -> Iterator[list[Consumer]]:
    opened: list[Consumer] = []
    yield opened
    for consumer in opened:
        consumer.close()


def test_start_and_stop(tmp_path: Path) -> None:
    log = tmp_path / "tansu.log"
    with EmbeddedBroker(log_path=log) as broker:
        assert broker.running and listening(broker.port)
        assert broker.bootstrap == f"127.0.0.1:{broker.port}"
        metadata = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=5)
        assert metadata.topics == {}  # memory only: a fresh broker is empty
    assert not broker.running and not listening(broker.port)
    assert "listening on" in log.read_text()
    broker.stop()  # stopping twice is harmless


def test_starts_fast_and_stops_fast_with_clients_connected() -> None:
    broker = EmbeddedBroker()
    started = time.monotonic()
    bootstrap = broker.start()
    try:
        assert time.monotonic() - started < 3
        produce(bootstrap, "connected", 1)
    finally:
        stopping = time.monotonic()
        broker.stop()
    assert time.monotonic() - stopping < 2


def test_port_in_use_is_reported() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = EmbeddedBroker(port=taken.getsockname()[1])
        with pytest.raises(BrokerError, match="exited during start-up"):
            broker.start(timeout=10)
    assert not broker.running


def test_free_port_is_bindable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))


def test_create_topics_is_idempotent(kafka_bootstrap: str, kafka_topics: Topics) -> None:
    name = f"{kafka_topics.prefix}-idem"
    kafka_topics.created.append(name)
    create_topics(kafka_bootstrap, {name: 3})
    create_topics(kafka_bootstrap, {name: 3})
    metadata = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10)
    assert len(metadata.topics[name].partitions) == 3
    create_topics(kafka_bootstrap, {})


def test_produce_consume_round_trip(
    kafka_bootstrap: str, kafka_topics: Topics, consumers: list[Consumer]
) -> None:
    topic = kafka_topics("roundtrip", partitions=3)
    produce(kafka_bootstrap, topic, 9)
    consumers.append(Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": "unused"}))
    # Manual assignment skips the group join (about 3 s on Tansu); groups are tested below.
    consumers[0].assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(3)])
    got = consume(consumers[0], 9)
    assert sorted(m.value() or b"" for m in got) == sorted(f"event-{i}".encode() for i in range(9))
    # Keyed records land on one partition per key.
    assert len({(m.key(), m.partition()) for m in got}) == 3


def test_messages_on_counts_every_message_whatever_the_watermarks_say(
    kafka_bootstrap: str, kafka_topics: Topics
) -> None:
    topic = kafka_topics("counted", partitions=3)
    empty = kafka_topics("empty", partitions=2)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 50})
    for batch in (10, 5):  # two batches per partition at most, by key
        for i in range(batch):
            producer.produce(topic, b"x", key=b"%d" % (i % 2))
        producer.flush(10)
    assert messages_on(kafka_bootstrap, topic) == 15
    assert messages_on(kafka_bootstrap, empty) == 0


def test_group_commit_and_resume(
    kafka_bootstrap: str, kafka_topics: Topics, consumers: list[Consumer]
) -> None:
    topic = kafka_topics("resume")
    group = kafka_topics.group()
    config = {"bootstrap.servers": kafka_bootstrap, "group.id": group, **CONSUMER}
    produce(kafka_bootstrap, topic, 5)
    first = Consumer(config)
    first.subscribe([topic])
    assert len(consume(first, 3)) == 3
    first.commit(asynchronous=False)
    first.close()
    produce(kafka_bootstrap, topic, 2, start=5)
    consumers.append(Consumer(config))
    consumers[0].subscribe([topic])
    rest = consume(consumers[0], 4)
    assert [m.value() for m in rest] == [f"event-{i}".encode() for i in range(3, 7)]
    committed = consumers[0].committed([TopicPartition(topic, 0)], timeout=10)
    assert committed[0].offset == 3
