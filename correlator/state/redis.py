"""Redis-backed state store for production: state survives restarts and partition moves.

Layout: user values under ``<namespace>:u:<key>``, meta entries under ``<namespace>:m:<name>``,
plain strings so each user key carries its own TTL (``SET … PX``). One ``MULTI``/``EXEC``
transaction per batch: Redis applies it whole or not at all (the commands used, SET and DEL,
cannot fail once queued; a connection lost before EXEC discards the transaction).

Connection errors, timeouts and "try later" replies (OOM, READONLY during fail-over, LOADING,
TRYAGAIN, CLUSTERDOWN) raise :class:`~correlator.errors.StoreUnavailable`, a ``TransientError``:
the runtime backs off, retries and commits no offsets meanwhile. Authentication failures
raise ``ConfigError``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import redis
from redis import exceptions as rx
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from correlator.errors import ConfigError, StoreUnavailable
from correlator.state.base import check_batch

_TRANSIENT: tuple[type[Exception], ...] = (
    rx.ConnectionError,
    rx.TimeoutError,
    rx.OutOfMemoryError,
    rx.ReadOnlyError,
    rx.TryAgainError,
    rx.ClusterDownError,
    rx.ClusterError,  # Redis Cluster: no node answers for a slot, during a fail-over
    rx.SlotNotCoveredError,
    rx.MasterDownError,
)
_AUTH: tuple[type[Exception], ...] = (rx.AuthenticationError, rx.AuthorizationError)
_SCAN_COUNT = 1000


class RedisStore:
    """State in Redis (``redis://`` or TLS ``rediss://``), keys namespaced per deployment.

    ``size_bytes`` is approximate: the STRLEN sum of up to ``size_sample`` user keys, scaled to
    the key count (exact when the namespace holds no more keys than that), plus the meta values.
    It and ``count`` SCAN the keyspace, O(keys in the database): call them at metric-scrape
    cadence, not per batch.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "correlator",
        socket_timeout: float = 2.0,
        size_sample: int = 1000,
    ) -> None:
        if not namespace:
            raise ConfigError("state namespace must not be empty")
        try:
            self._client: Any = self._connect(url, socket_timeout)
        except ValueError as exc:
            raise ConfigError(f"invalid Redis URL for the state store: {exc}") from exc
        self.namespace = namespace
        self._user = f"{namespace}:u:"
        self._meta = f"{namespace}:m:"
        self._size_sample = size_sample

    def _connect(self, url: str, socket_timeout: float) -> Any:
        client = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            health_check_interval=30,
            # One quick retry absorbs a connection the server closed while idle; retrying
            # a whole transaction is safe because SET and DEL are idempotent.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 1),
        )
        kwargs = client.connection_pool.connection_kwargs
        self._where = f"{kwargs.get('host', kwargs.get('path'))}:{kwargs.get('port', '')}"
        return client

    def user_key(self, key: str) -> str:
        return self._user + key

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        with self._errors("read"):
            # The client is built without decode_responses, so replies are bytes.
            values = self._mget([self.user_key(k) for k in keys])
        return {key: value for key, value in zip(keys, values, strict=True) if value is not None}

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
        pipe = self._client.pipeline(transaction=True)
        self._queue(pipe, upserts, doomed, ttl_ms, meta or {})
        with self._errors("write"):
            pipe.execute()

    def _mget(self, keys: list[str]) -> list[bytes | None]:
        return cast(list[bytes | None], self._client.mget(keys))

    def get_meta(self, name: str) -> bytes | None:
        with self._errors("read"):
            return cast(bytes | None, self._client.get(self._meta + name))

    def put_meta(self, name: str, value: bytes) -> None:
        self.write_batch({}, meta={name: value})

    def claim_meta(self, name: str, value: bytes) -> bytes:
        check_batch({}, (), None, {name: value})
        pipe = self._client.pipeline(transaction=True)
        pipe.set(self._meta + name, value, nx=True)
        pipe.get(self._meta + name)
        with self._errors("write"):
            _, held = pipe.execute()
        return cast(bytes, held)

    def size_bytes(self) -> int:
        with self._errors("measure"):
            users = self._scan(self._user)
            sample = list(itertools.islice(users, self._size_sample))
            total = len(sample) + sum(1 for _ in users)
            sampled = self._strlen_sum(sample)
            meta = self._strlen_sum(list(self._scan(self._meta)))
        scaled = sampled * total // len(sample) if sample else 0
        return scaled + meta

    def count(self) -> int:
        with self._errors("count"):
            return sum(1 for _ in self._scan(self._user))

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except rx.RedisError:
            return False

    def close(self) -> None:
        self._client.close()

    def _queue(
        self,
        pipe: Any,
        upserts: Mapping[str, bytes],
        deletes: list[str],
        ttl_ms: int | None,
        meta: Mapping[str, bytes],
    ) -> None:
        for key, value in upserts.items():
            # Without PX a rewrite drops an earlier TTL: ttl_ms=None means "keep forever".
            pipe.set(self.user_key(key), value, px=ttl_ms)
        if deletes:
            pipe.delete(*(self.user_key(key) for key in deletes))
        for name, value in meta.items():
            pipe.set(self._meta + name, value)

    def _scan(self, prefix: str) -> Iterator[bytes]:
        keys = self._client.scan_iter(match=_glob_escape(prefix) + "*", count=_SCAN_COUNT)
        return cast(Iterator[bytes], keys)

    def _strlen_sum(self, keys: list[bytes]) -> int:
        if not keys:
            return 0
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.strlen(key)
        return sum(pipe.execute())

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except _AUTH as exc:
            raise ConfigError(f"Redis at {self._where} refused the credentials: {exc}") from exc
        except _TRANSIENT as exc:
            raise StoreUnavailable(
                f"Redis {action} at {self._where} failed: {_described(exc)}"
            ) from exc


def _described(exc: Exception) -> str:
    """The error without the command redis-py quotes in pipeline errors: its arguments are
    user names and state bytes, which have no place in a log line."""
    return _PIPELINE_COMMAND.sub("", str(exc))


_PIPELINE_COMMAND = re.compile(r"Command # \d+ \(.*?\) of pipeline caused error: ", re.DOTALL)


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)
