"""open_store picks the implementation from the setting and rejects what it cannot open."""

from __future__ import annotations

import pytest

from correlator.errors import ConfigError
from correlator.state import MemoryStore, open_store
from correlator.state.redis import RedisStore


def test_memory() -> None:
    assert isinstance(open_store("memory"), MemoryStore)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://cache.example:6380/1"])
def test_redis_urls_open_lazily(url: str) -> None:
    store = open_store(url, namespace="prod")
    assert isinstance(store, RedisStore)
    assert store.namespace == "prod"
    store.close()


@pytest.mark.parametrize("spec", ["", "Memory", "postgres://db", "redis:/missing-slash"])
def test_unknown_spec_names_the_setting(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"state\.store"):
        open_store(spec)


def test_error_never_echoes_a_password() -> None:
    with pytest.raises(ConfigError) as caught:
        open_store("memcached://user:hunter2@cache:11211", setting="CORRELATOR_STATE")
    assert "hunter2" not in str(caught.value)
    assert "CORRELATOR_STATE" in str(caught.value)


def test_bad_redis_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Redis URL"):
        open_store("redis://127.0.0.1:not-a-port/0")


def test_empty_namespace_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="namespace"):
        open_store("redis://127.0.0.1:6379/0", namespace="")
