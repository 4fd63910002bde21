"""Helpers for stream tests: run settings on unique topics, produce, and read topics back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition

from correlator.runconfig import RunSettings
from correlator.runtime.runner import Runner
from correlator.runtime.topics import Topics
from tests.conftest import TopicFactory

FAST_KAFKA = {"session.timeout.ms": "6000", "heartbeat.interval.ms": "500"}


def run_settings(
    topics: TopicFactory,
    *,
    partitions: int = 3,
    state: str = "memory",
    stage: str = "all",
    batch_size: int = 200,
) -> RunSettings:
    logical = ("signins", "audits", "tickets", "calls", "vpn", "events", "keyed", "alerts", "dlq")
    names = topics.many({name: partitions for name in logical})
    return RunSettings(
        group_id=topics.group("job"),
        state=state,
        stage=stage,
        partitions=partitions,
        topics=Topics(**names),
        batch_size=batch_size,
        batch_timeout_ms=100,
        metrics_port=0,
        kafka=dict(FAST_KAFKA),
    )


def produce(
    bootstrap: str, messages: Iterable[tuple[str, bytes] | tuple[str, bytes, bytes | None]]
) -> int:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    count = 0
    for topic, value, *key in messages:
        producer.produce(topic, value, key=key[0] if key else None)
        count += 1
        if count % 1000 == 0:
            producer.poll(0)
    assert producer.flush(30) == 0
    return count


def read_topic(
    bootstrap: str, topic: str, *, idle_s: float = 1.5, timeout_s: float = 60.0
) -> list[Message]:
    """Every message on ``topic`` from the beginning, until it stays quiet for ``idle_s``.

    Partitions are assigned by hand: no group join to wait for, nothing committed.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{time.time_ns()}",
            "enable.auto.commit": False,
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    out: list[Message] = []
    deadline, last = time.monotonic() + timeout_s, time.monotonic()
    try:
        while time.monotonic() < deadline and time.monotonic() - last < idle_s:
            batch = [m for m in consumer.consume(500, 0.2) if not m.error()]
            if batch:
                out += batch
                last = time.monotonic()
    finally:
        consumer.close()
    return out


def alerts_of(messages: list[Message]) -> dict[str, dict[str, object]]:
    """The last version of every alert on the topic, by finding uid."""
    latest: dict[str, dict[str, object]] = {}
    for message in messages:
        alert = orjson.loads(message.value() or b"{}")
        latest[alert["finding_info"]["uid"]] = alert
    return latest


def drive(runner: Runner, done: Callable[[], bool], timeout_s: float = 90.0) -> None:
    """Step the runner in this thread until ``done`` holds (and the stages are idle)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runner.step()
        if done() and not any(w.busy for w in runner.workers):
            return
    raise AssertionError("the job did not finish in time")


def drive_to_the_end(runner: Runner, produced: int) -> None:
    """Until every stage has committed all it was given: the raw records, the events they
    became and what the user stage forwarded."""
    normalize, correlate, keyed = runner.normalizer, runner.correlator, runner.keyed
    assert normalize is not None and correlate is not None and keyed is not None
    drive(
        runner,
        lambda: (
            normalize.stats.committed_messages >= produced
            and correlate.stats.committed_messages >= sum(normalize.events.values())
            and keyed.stats.committed_messages >= correlate.forwarded
        ),
    )


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        offsets = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], 10)
        return sum(max(tp.offset, 0) for tp in offsets)
    finally:
        consumer.close()
