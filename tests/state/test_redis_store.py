"""RedisStore specifics: transactions, real TTLs, key layout, outages and recovery."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import pytest
import redis

from correlator.errors import TransientError
from correlator.runtime.broker import free_port
from correlator.state.redis import RedisStore


class Server(Protocol):
    url: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def store(redis_url: str, redis_namespace: str) -> Iterator[RedisStore]:
    store = RedisStore(redis_url, namespace=redis_namespace)
    yield store
    store.close()


class SabotagedStore(RedisStore):
    """Queues a malformed command after the batch, so the server aborts the transaction."""

    def _queue(self, pipe: Any, upserts: Mapping[str, bytes], *args: Any) -> None:
        super()._queue(pipe, upserts, *args)
        pipe.execute_command("SET", "only-a-key")


def test_failed_transaction_leaves_nothing_half_written(
    redis_url: str, redis_namespace: str
) -> None:
    store = SabotagedStore(redis_url, namespace=redis_namespace)
    RedisStore(redis_url, namespace=redis_namespace).write_batch({"alice": b"old"})
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        store.write_batch({"alice": b"new", "bob": b"b"}, deletes=["alice"], meta={"wm": b"1"})
    assert store.get_many(["alice", "bob"]) == {"alice": b"old"}
    assert store.get_meta("wm") is None
    store.close()


def test_key_layout_and_server_side_ttl(
    store: RedisStore, raw: redis.Redis, redis_namespace: str
) -> None:
    store.write_batch({"alice": b"a"}, ttl_ms=30_000, meta={"wm": b"1"})
    assert raw.get(f"{redis_namespace}:u:alice") == b"a"
    assert raw.get(f"{redis_namespace}:m:wm") == b"1"
    assert 0 < raw.pttl(f"{redis_namespace}:u:alice") <= 30_000
    assert raw.pttl(f"{redis_namespace}:m:wm") == -1  # meta never expires


def test_size_is_extrapolated_from_a_sample(redis_url: str, redis_namespace: str) -> None:
    store = RedisStore(redis_url, namespace=redis_namespace, size_sample=10)
    store.write_batch({f"user-{i}": b"x" * 50 for i in range(100)})
    assert store.size_bytes() == 5_000
    store.close()


def test_unreachable_server_raises_transient_error() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.5)
    assert not store.ping()
    for call in (
        lambda: store.write_batch({"alice": b"a"}),
        lambda: store.get_many(["alice"]),
        lambda: store.get_meta("wm"),
        store.count,
        store.size_bytes,
    ):
        with pytest.raises(TransientError, match=r"127\.0\.0\.1"):
            call()
    store.close()


def test_resumes_after_the_server_comes_back(
    redis_server_factory: Callable[[], Server],
) -> None:
    server = redis_server_factory()
    store = RedisStore(server.url, namespace="resume", socket_timeout=0.5)
    store.write_batch({"alice": b"a"})
    server.stop()
    assert not store.ping()
    with pytest.raises(TransientError):
        store.write_batch({"bob": b"b"})
    server.start()
    assert store.ping()
    store.write_batch({"bob": b"b"})  # the server has no persistence: only bob survives
    assert store.get_many(["alice", "bob"]) == {"bob": b"b"}
    store.close()
