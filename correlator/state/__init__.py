"""Where per-user state lives: one small interface, a memory and a Redis implementation."""

from __future__ import annotations

from correlator.errors import ConfigError
from correlator.state.base import StateStore
from correlator.state.memory import MemoryStore

__all__ = ["MemoryStore", "StateStore", "open_store", "shared"]

CLUSTER_PREFIXES = ("redis+cluster://", "rediss+cluster://")
REDIS_PREFIXES = ("redis://", "rediss://")


def shared(spec: str) -> bool:
    """Is ``spec`` a store the members of a group share (Redis, plain or Cluster)?"""
    return spec.startswith(REDIS_PREFIXES + CLUSTER_PREFIXES)


def open_store(
    spec: str, *, namespace: str = "correlator", setting: str = "state.store"
) -> StateStore:
    """Open the store ``spec`` names: ``memory``, a ``redis://`` / ``rediss://`` URL, or
    ``redis+cluster://`` / ``rediss+cluster://`` for Redis Cluster.

    ``setting`` is the configuration name quoted in the error when ``spec`` is not understood.
    """
    if spec == "memory":
        return MemoryStore()
    if spec.startswith(CLUSTER_PREFIXES):
        from correlator.state.redis_cluster import RedisClusterStore

        return RedisClusterStore(spec, namespace=namespace)
    if spec.startswith(REDIS_PREFIXES):
        # Imported here so the embedded default never needs the redis client loaded.
        from correlator.state.redis import RedisStore

        return RedisStore(spec, namespace=namespace)
    shown = spec.split("@")[-1] if "@" in spec else spec  # never echo a password
    raise ConfigError(
        f"{setting}: unsupported state store {shown!r}; use 'memory', 'redis://host:port/db' "
        "'rediss://host:port/db' (TLS) or 'redis+cluster://host:port' (Redis Cluster)"
    )
