"""One contract, every StateStore: each test runs against MemoryStore, RedisStore and
RedisClusterStore (a real three-master cluster)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from correlator.state import MemoryStore, StateStore
from correlator.state.redis import RedisStore
from correlator.state.redis_cluster import RedisClusterStore
from tests.redis_cluster import Cluster, running_cluster

MakeStore = Callable[[str], StateStore]


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from running_cluster(tmp_path_factory)


@pytest.fixture(params=["memory", "redis", "redis-cluster"])
def make_store(request: pytest.FixtureRequest) -> Iterator[MakeStore]:
    """Opens stores by namespace; memory stores are isolated per instance by nature."""
    opened: list[StateStore] = []
    if request.param == "redis-cluster":
        cluster: Cluster = request.getfixturevalue("redis_cluster")
        base = uuid.uuid4().hex[:12]

        def make(namespace: str) -> StateStore:
            opened.append(RedisClusterStore(cluster.url, namespace=f"{base}:{namespace}"))
            return opened[-1]
    elif request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        base: str = request.getfixturevalue("redis_namespace")

        def make(namespace: str) -> StateStore:
            # Nested under the test's namespace so its cleanup removes these keys too.
            opened.append(RedisStore(url, namespace=f"{base}:{namespace}"))
            return opened[-1]
    else:

        def make(namespace: str) -> StateStore:
            opened.append(MemoryStore())
            return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: MakeStore) -> StateStore:
    return make_store("main")


def test_is_a_state_store(store: StateStore) -> None:
    assert isinstance(store, StateStore)
    assert store.ping()


def test_round_trip(store: StateStore) -> None:
    store.write_batch({"alice@contoso.com": b"a", "bob@contoso.com": b"b"})
    assert store.get_many(["alice@contoso.com", "bob@contoso.com"]) == {
        "alice@contoso.com": b"a",
        "bob@contoso.com": b"b",
    }


def test_missing_keys_are_absent(store: StateStore) -> None:
    store.write_batch({"alice": b"a"})
    assert store.get_many(["nobody", "alice"]) == {"alice": b"a"}
    assert store.get_many([]) == {}


def test_deletes(store: StateStore) -> None:
    store.write_batch({"alice": b"a", "bob": b"b"})
    store.write_batch({}, deletes=["alice", "never-written"])
    assert store.get_many(["alice", "bob"]) == {"bob": b"b"}
    assert store.count() == 1


def test_upsert_and_delete_of_one_key_in_a_batch_deletes_it(store: StateStore) -> None:
    store.write_batch({"alice": b"a"}, deletes=["alice"])
    assert store.get_many(["alice"]) == {}


def test_overwrite(store: StateStore) -> None:
    store.write_batch({"alice": b"old value"})
    store.write_batch({"alice": b"new"})
    assert store.get_many(["alice"]) == {"alice": b"new"}
    assert (store.count(), store.size_bytes()) == (1, 3)


def test_invalid_batch_writes_nothing(store: StateStore) -> None:
    store.write_batch({"alice": b"a"})
    bad: dict[str, Any] = {"bob": b"b", "carol": "not bytes", "dave": b"d"}
    with pytest.raises(TypeError, match="carol"):
        store.write_batch(bad, deletes=["alice"], meta={"wm": b"1"})
    assert store.get_many(["alice", "bob", "dave"]) == {"alice": b"a"}
    assert store.get_meta("wm") is None


def test_ttl_expires_only_keys_written_with_it(store: StateStore) -> None:
    store.write_batch({"short": b"s", "renewed": b"r"}, ttl_ms=150)
    store.write_batch({"forever": b"f"})
    store.write_batch({"renewed": b"r2"})  # rewriting without a TTL keeps the key
    time.sleep(0.4)
    assert store.get_many(["short", "renewed", "forever"]) == {"renewed": b"r2", "forever": b"f"}
    assert store.count() == 2


def test_ttl_must_be_positive(store: StateStore) -> None:
    with pytest.raises(ValueError, match="ttl_ms"):
        store.write_batch({"alice": b"a"}, ttl_ms=0)


def test_namespaces_are_isolated(make_store: MakeStore) -> None:
    one, two = make_store("one"), make_store("two")
    one.write_batch({"alice": b"1"}, meta={"wm": b"one"})
    two.write_batch({"alice": b"2", "bob": b"2"})
    assert one.get_many(["alice", "bob"]) == {"alice": b"1"}
    assert (one.count(), two.count()) == (1, 2)
    assert (one.get_meta("wm"), two.get_meta("wm")) == (b"one", None)


def test_size_and_count(store: StateStore) -> None:
    assert (store.count(), store.size_bytes()) == (0, 0)
    store.write_batch({"a": b"x" * 10, "b": b"y" * 20, "c": b""}, meta={"wm": b"1234"})
    assert store.count() == 3  # meta entries are not users
    assert store.size_bytes() == 34


def test_meta(store: StateStore) -> None:
    assert store.get_meta("watermark/signins/0") is None
    store.put_meta("watermark/signins/0", b"\x00\x01")
    store.write_batch({"alice": b"a"}, meta={"dedup": b"ids"})
    assert store.get_meta("watermark/signins/0") == b"\x00\x01"
    assert store.get_meta("dedup") == b"ids"
    assert store.get_many(["dedup"]) == {}


def test_large_value(store: StateStore) -> None:
    value = os.urandom(1 << 20)
    store.write_batch({"alice": value})
    assert store.get_many(["alice"]) == {"alice": value}


def test_binary_values_and_odd_keys(store: StateStore) -> None:
    values = {"nul": b"\x00\xff\x00msgpack\x00", "a*b?[c]\\": b"\x00", "ünï:cødé": b"\x80"}
    store.write_batch(values)
    assert store.get_many(list(values)) == values
    assert store.count() == 3


def test_ten_thousand_keys_in_one_batch(store: StateStore) -> None:
    batch = {f"user-{i}@contoso.com": i.to_bytes(4, "big") * 8 for i in range(10_000)}
    started = time.monotonic()
    store.write_batch(batch, ttl_ms=60_000)
    assert store.get_many(list(batch)) == batch
    assert time.monotonic() - started < 5
    assert store.count() == 10_000
    assert store.size_bytes() == pytest.approx(320_000, rel=0.01)
