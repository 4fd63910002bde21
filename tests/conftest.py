"""Shared integration fixtures: a Kafka-compatible broker and a Redis server, per test session.

``KAFKA_BOOTSTRAP_SERVERS`` and ``REDIS_URL`` point the suite at real services; otherwise it
starts an embedded Tansu broker, and uses the Redis on 127.0.0.1:6379 or starts a private
``redis-server``. Nothing is skipped when a service is missing: the suite fails instead.
Every test gets its own topic names, consumer-group ids and Redis key namespace.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import redis

from correlator.runtime.broker import EmbeddedBroker, create_topics, free_port

_LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test a compiled module older than its source: the extension would run
    instead of the edited Python (``make test`` rebuilds them; a bare ``pytest`` does not)."""
    import correlator

    package = Path(correlator.__file__).parent
    for extension in package.rglob("*.so"):
        source = extension.with_name(extension.name.split(".", 1)[0] + ".py")
        if source.exists() and source.stat().st_mtime > extension.stat().st_mtime:
            pytest.exit(f"{source} changed after it was compiled: run `make native`", 3)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a session-wide broker (data in memory; empty at start)."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    broker = EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log")
    try:
        yield broker.start()
    finally:
        broker.stop()


class TopicFactory:
    """Creates topics whose names are unique to one test, so tests never see each other's data.

    ``factory("signins", partitions=3)`` returns the real name, e.g. ``t-1a2b3c4d-signins``;
    asking again for the same logical name returns the same topic.
    """

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = f"t-{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []

    def __call__(
        self, name: str, partitions: int = 1, *, config: Mapping[str, str] | None = None
    ) -> str:
        return self.many({name: partitions}, config=config)[name]

    def many(
        self, partitions: Mapping[str, int], *, config: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        names = {logical: f"{self.prefix}-{logical}" for logical in partitions}
        create_topics(self.bootstrap, {names[k]: n for k, n in partitions.items()}, config=config)
        self.created.extend(n for n in names.values() if n not in self.created)
        return names

    def group(self, name: str = "group") -> str:
        """A consumer-group id unique to this test."""
        return f"{self.prefix}-{name}"


@pytest.fixture
def kafka_topics(kafka_bootstrap: str) -> Iterator[TopicFactory]:
    factory = TopicFactory(kafka_bootstrap)
    yield factory
    _delete_topics(kafka_bootstrap, factory.created)


def _delete_topics(bootstrap: str, names: list[str]) -> None:
    # Matters on a shared real cluster; best effort, a leftover test topic harms nobody.
    if not names:
        return
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.delete_topics(names, operation_timeout=10).values():
        with contextlib.suppress(Exception):
            future.result(10)


class RedisServer:
    """A private ``redis-server`` on a fixed loopback port, without persistence; restartable."""

    def __init__(self) -> None:
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_once = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on the same port as before, or on a fresh one if the first start loses a race."""
        for _attempt in range(3):
            if self._spawn():
                self._started_once = True
                atexit.register(self.stop)
                return
            if self._started_once:
                break
            self.port = free_port()
        raise RuntimeError(f"redis-server did not start on 127.0.0.1:{self.port}")

    def _spawn(self, timeout: float = 10.0) -> bool:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "no Redis answers on 127.0.0.1:6379, REDIS_URL is unset and 'redis-server' "
                "is not on PATH: install Redis (e.g. apt-get install redis-server) or set "
                "REDIS_URL",
                pytrace=False,
            )
        args = ["--save", "", "--appendonly", "no", "--port", str(self.port)]
        self._proc = subprocess.Popen(
            [binary, *args, "--bind", "127.0.0.1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not redis_answers(self.url):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                return False
            time.sleep(0.02)
        return True

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): clients time out, as in an outage, yet no data is lost."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
        proc, self._proc = self._proc, None
        if proc is None:
            return
        atexit.unregister(self.stop)
        if proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def redis_answers(url: str, timeout: float = 0.3) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis URL for the session: ``REDIS_URL``, else local 6379, else a private server."""
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
    elif redis_answers(_LOCAL_REDIS):
        yield _LOCAL_REDIS
    else:
        server = RedisServer()
        try:
            server.start()
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A key namespace unique to this test; its keys are deleted afterwards."""
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    yield namespace
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


@pytest.fixture
def redis_server_factory() -> Iterator[Callable[[], RedisServer]]:
    """Starts private redis-servers a test may stop and restart; all stopped at teardown."""
    servers: list[RedisServer] = []

    def make() -> RedisServer:
        server = RedisServer()
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()
