"""State in Redis Cluster: ``redis+cluster://host:port`` (``rediss+cluster://`` for TLS).

One seed node is enough; the client learns the slot map from it and follows MOVED/ASK.

Layout: as ``RedisStore``, with the user inside a hash tag (``<namespace>:u:{<user>}``), so
that every key of one user maps to one slot and one node; meta entries share the tag
``{<namespace>:m}``, so a batch of meta is one slot too.

Writes: a MULTI/EXEC cannot span slots, so a batch is sent as per-node pipelines of single-key
commands (each SET or DEL is atomic on its own, and a user's state is one key), then the meta
entries in one transaction on their slot. ``write_batch`` returns only when every node has
acknowledged every command, and raises ``StoreUnavailable`` otherwise: offsets are committed
after it returns, never before, so a batch half written when a master died is simply written
again (SET and DEL are idempotent) once the cluster has failed over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

from redis.backoff import ExponentialBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from correlator.errors import ConfigError
from correlator.state.base import check_batch
from correlator.state.redis import RedisStore

SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def plain_url(url: str) -> str:
    """The seed node's URL as redis-py reads it: ``redis+cluster://`` becomes ``redis://``."""
    parts = urlsplit(url)
    scheme = SCHEMES.get(parts.scheme)
    if scheme is None:
        raise ConfigError(f"not a Redis Cluster URL: {parts.scheme}://…")
    return parts._replace(scheme=scheme).geturl()


class RedisClusterStore(RedisStore):
    def __init__(
        self,
        url: str,
        *,
        namespace: str = "correlator",
        socket_timeout: float = 2.0,
        size_sample: int = 1000,
    ) -> None:
        if "{" in namespace or "}" in namespace:
            raise ConfigError("a Redis Cluster state namespace must not contain { or }")
        super().__init__(
            url, namespace=namespace, socket_timeout=socket_timeout, size_sample=size_sample
        )
        self._meta = f"{{{namespace}:m}}:"

    def _connect(self, url: str, socket_timeout: float) -> Any:
        parts = urlsplit(url)
        self._where = f"cluster {parts.hostname}:{parts.port or 6379}"
        return RedisCluster.from_url(
            plain_url(url),
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            # Bounded: the runtime backs off and retries whole batches itself.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
        )

    def user_key(self, key: str) -> str:
        return f"{self._user}{{{key}}}"

    def _mget(self, keys: list[str]) -> list[bytes | None]:
        return cast(list[bytes | None], self._client.mget_nonatomic(keys))

    def write_batch(
        self,
        upserts: Mapping[str, bytes],
        deletes: Iterable[str] = (),
        *,
        ttl_ms: int | None = None,
        meta: Mapping[str, bytes] | None = None,
    ) -> None:
        doomed = check_batch(upserts, deletes, ttl_ms, meta)
        if not (upserts or doomed or meta):
            return
        with self._errors("write"):
            if upserts or doomed:
                pipe = self._client.pipeline(transaction=False)
                for key, value in upserts.items():
                    pipe.set(self.user_key(key), value, px=ttl_ms)
                for key in doomed:
                    pipe.delete(self.user_key(key))  # one key per DEL: keys span slots
                pipe.execute(raise_on_error=True)
            if meta:
                # After the users: a marker written by a batch is never ahead of its states.
                pipe = self._client.pipeline(transaction=True)
                for name, value in meta.items():
                    pipe.set(self._meta + name, value)
                pipe.execute()
