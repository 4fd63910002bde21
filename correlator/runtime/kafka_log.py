"""librdkafka's messages, through Python logging and at a bounded rate.

Left alone, librdkafka writes to stderr itself: against an unreachable broker that is about 40
lines a second from each client, forever, past the masking formatter. Here every client logs
through the ``correlator.kafka`` logger, and a gate shared by the clients of one bootstrap
address lets each kind of message through at most once per interval. Connection failures
become one line, "broker unreachable at …", whose interval doubles (up to ``MAX_INTERVAL_S``)
while the broker stays away, like the job's own retry back-off; the first line after the
broker answers again says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import KafkaError

log = logging.getLogger("correlator.kafka")

FIRST_INTERVAL_S = 1.0
MAX_INTERVAL_S = 30.0
_UNREACHABLE = frozenset({KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT, KafkaError._RESOLVE})
# librdkafka facilities that only repeat what the error callback already said.
_CONNECTION_CHATTER = ("FAIL", "CONNECT", "BROKERFAIL", "ERROR", "DOWN")


class KafkaLogGate:
    """Rate limits for the librdkafka messages of the clients of one bootstrap address."""

    def __init__(self, bootstrap: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.bootstrap = bootstrap
        self._clock = clock
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._interval = FIRST_INTERVAL_S
        self._down_since: float | None = None
        self.suppressed = 0

    def error(self, err: KafkaError) -> None:
        """librdkafka's ``error_cb``: errors it recovers from by itself, reported sparingly."""
        if err.code() in _UNREACHABLE:
            self.unreachable(err.str())
        elif self._allow(f"error:{err.code()}", MAX_INTERVAL_S):
            log.warning("kafka: %s", err.str())

    def unreachable(self, detail: str) -> None:
        with self._lock:
            now = self._clock()
            if self._down_since is None:
                self._down_since = now
            if now < self._next.get("unreachable", 0.0):
                self.suppressed += 1
                return
            self._next["unreachable"] = now + self._interval
            self._interval = min(self._interval * 2, MAX_INTERVAL_S)
        log.warning("broker unreachable at %s: %s", self.bootstrap, detail)

    def reachable(self) -> None:
        """Called when a client hears from the broker (its statistics show a broker up)."""
        with self._lock:
            since, self._down_since = self._down_since, None
            self._interval = FIRST_INTERVAL_S
            self._next.pop("unreachable", None)
        if since is not None:
            log.info("broker reachable again at %s", self.bootstrap)

    def _allow(self, key: str, interval: float) -> bool:
        with self._lock:
            now = self._clock()
            if now < self._next.get(key, 0.0):
                self.suppressed += 1
                return False
            self._next[key] = now + interval
            return True

    def filter(self, record: logging.LogRecord) -> bool:
        """librdkafka log lines: ``args`` are (facility, client name, message). Debug lines
        exist only when asked for (``-X debug=…``): those all pass, masked like the rest."""
        if record.levelno < logging.INFO:
            return True
        facility = str(record.args[0]) if isinstance(record.args, tuple) and record.args else ""
        if facility in _CONNECTION_CHATTER and self._down_since is not None:
            self.suppressed += 1
            return False
        return self._allow(f"log:{facility}", MAX_INTERVAL_S)


class _GateFilter(logging.Filter):
    def __init__(self, gate: KafkaLogGate) -> None:
        super().__init__()
        self.gate = gate

    def filter(self, record: logging.LogRecord) -> bool:
        return self.gate.filter(record)


_GATES: dict[str, KafkaLogGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(bootstrap: str) -> KafkaLogGate:
    """One gate per bootstrap address, shared by every client of it in this process, so three
    clients of one unreachable broker still log one line per interval."""
    with _GATES_LOCK:
        gate = _GATES.get(bootstrap)
        if gate is None:
            gate = _GATES[bootstrap] = KafkaLogGate(bootstrap)
        return gate


def client_logging(bootstrap: str) -> dict[str, object]:
    """The ``logger`` and ``error_cb`` settings of a client of ``bootstrap``."""
    gate = gate_for(bootstrap)
    logger = log.getChild(bootstrap.replace(".", "_"))
    if not logger.filters:
        logger.addFilter(_GateFilter(gate))
    return {"logger": logger, "error_cb": gate.error}
