"""librdkafka's noise is capped: "broker unreachable at …" at most once per back-off interval."""

from __future__ import annotations

import logging

import pytest
from confluent_kafka import KafkaError

from correlator.runtime.kafka_log import MAX_INTERVAL_S, KafkaLogGate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_unreachable_is_logged_once_per_doubling_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    gate = KafkaLogGate("k1:9092", clock=clock)
    caplog.set_level(logging.INFO, logger="correlator.kafka")
    for _ in range(600):  # 40 errors a second for 15 s, as librdkafka reports them
        gate.error(KafkaError(KafkaError._TRANSPORT, "Connection refused"))
        clock.now += 0.025
    lines = [r.getMessage() for r in caplog.records]
    assert lines and all(line.startswith("broker unreachable at k1:9092") for line in lines)
    assert len(lines) == 4  # at 0, 1, 3 and 7 s: intervals 1, 2, 4, 8 s
    assert gate.suppressed == 596
    caplog.clear()
    gate.reachable()
    gate.reachable()
    assert [r.getMessage() for r in caplog.records] == ["broker reachable again at k1:9092"]


def test_interval_stops_growing_and_other_errors_are_capped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    gate = KafkaLogGate("k2:9092", clock=clock)
    caplog.set_level(logging.INFO, logger="correlator.kafka")
    for _ in range(20):
        gate.unreachable("down")
        clock.now += MAX_INTERVAL_S
    assert len(caplog.records) == 20  # one per capped interval, none lost
    caplog.clear()
    for _ in range(50):
        gate.error(KafkaError(KafkaError._MSG_TIMED_OUT, "timed out"))
    assert len(caplog.records) == 1


def test_chatter_is_dropped_while_down_and_capped_per_facility() -> None:
    clock = Clock()
    gate = KafkaLogGate("k3:9092", clock=clock)

    def line(facility: str) -> logging.LogRecord:
        args = (facility, "rdkafka#consumer-1", "Connect to ipv4#k3:9092 failed")
        return logging.LogRecord("correlator.kafka", logging.ERROR, "", 0, "%s [%s] %s", args, None)

    assert gate.filter(line("FAIL"))  # before any error: the first one passes
    gate.unreachable("down")
    assert not any(gate.filter(line("FAIL")) for _ in range(100))
    assert gate.filter(line("CGRPQUERY"))
    assert not gate.filter(line("CGRPQUERY"))
    clock.now += MAX_INTERVAL_S
    assert gate.filter(line("CGRPQUERY"))
