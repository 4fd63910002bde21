"""RedisClusterStore on a real three-master cluster: slots, spread, and a master killed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.cluster import key_slot

from correlator.errors import ConfigError, StoreUnavailable
from correlator.runtime.progress import RedisProgress
from correlator.state import open_store
from correlator.state.redis_cluster import RedisClusterStore
from tests.redis_cluster import Cluster, running_cluster


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from running_cluster(tmp_path_factory)


def store_on(cluster: Cluster) -> RedisClusterStore:
    store = open_store(cluster.url, namespace=f"t{uuid.uuid4().hex[:8]}")
    assert isinstance(store, RedisClusterStore)
    return store


def test_a_users_keys_share_the_users_slot(redis_cluster: Cluster) -> None:
    store = store_on(redis_cluster)
    for user in ("alice@contoso.com", "b{o}b@contoso.com", "ünï@contoso.com"):
        key = store.user_key(user)
        assert key.endswith("{" + user + "}")
        # Any key built with the same tag (a future per-user key) lands in the same slot.
        assert key_slot(key.encode()) == key_slot(f"other:{{{user}}}:x".encode())
    assert len({key_slot(store.user_key(f"u{i}").encode()) for i in range(50)}) > 40


def test_a_batch_spreads_over_every_master_and_reads_back(redis_cluster: Cluster) -> None:
    store = store_on(redis_cluster)
    users = {f"user{i}@contoso.com": f"state-{i}".encode() for i in range(300)}
    store.write_batch(users, meta={"epoch": b"7"})
    assert store.get_many(list(users)) == users
    assert store.get_meta("epoch") == b"7"
    assert store.count() == 300
    for node in redis_cluster.nodes:  # no slot-crossing transaction could have written this
        assert redis.Redis(port=node.port).dbsize() > 50
    store.write_batch({}, deletes=list(users)[:100])
    assert len(store.get_many(list(users))) == 200
    store.close()


def test_a_namespace_with_braces_is_refused(redis_cluster: Cluster) -> None:
    with pytest.raises(ConfigError, match="must not contain"):
        open_store(redis_cluster.url, namespace="a{b}")


def test_a_killed_master_is_unavailable_then_restarts_with_what_it_acknowledged(
    redis_cluster: Cluster,
) -> None:
    store = store_on(redis_cluster)
    users = {f"user{i}@contoso.com": b"before" for i in range(200)}
    store.write_batch(users)
    victim = redis_cluster.nodes[1]
    victim.kill()
    try:
        with pytest.raises(StoreUnavailable):
            store.write_batch({u: b"after" for u in users})
        with pytest.raises(StoreUnavailable):
            store.get_many(list(users))
    finally:
        victim.start()
        redis_cluster.wait_ok()
    # The batch that failed is written again, as the runtime does before it commits.
    store.write_batch({u: b"after" for u in users})
    assert store.get_many(list(users)) == {u: b"after" for u in users}
    store.close()


def test_the_alignment_progress_board_works_on_the_cluster(redis_cluster: Cluster) -> None:
    one = RedisProgress(redis_cluster.url, "job:p:normalize", every_s=0)
    two = RedisProgress(redis_cluster.url, "job:p:normalize", every_s=0)
    assert one.exchange({("signins", 0): 5_000}) == {}
    assert two.exchange({("signins", 1): None}) == {("signins", 0): 5_000}
    one.close()
    two.close()
