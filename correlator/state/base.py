"""The state-store interface the engine writes per-user state through.

Values are opaque bytes (the engine serialises each user's state with msgspec msgpack). Two
key spaces: user keys (one value per user, optionally with a TTL bounded by the state horizon)
and meta entries (small named blobs such as per-partition watermarks or dedup sets, no TTL).
A batch's user upserts, deletes and meta updates are applied together, so a watermark is never
persisted without the state it summarises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class StateStore(Protocol):
    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Values of the given user keys; missing (or expired) keys are absent."""
        ...

    def write_batch(
        self,
        upserts: Mapping[str, bytes],
        deletes: Iterable[str] = (),
        *,
        ttl_ms: int | None = None,
        meta: Mapping[str, bytes] | None = None,
    ) -> None:
        """Apply upserts (expiring after ``ttl_ms`` if given), deletes and meta all or nothing.

        A key both upserted and deleted in one batch ends up deleted.
        """
        ...

    def get_meta(self, name: str) -> bytes | None: ...

    def put_meta(self, name: str, value: bytes) -> None: ...

    def claim_meta(self, name: str, value: bytes) -> bytes:
        """Set ``name`` to ``value`` unless it is set; return the value it holds now (atomic)."""
        ...

    def size_bytes(self) -> int:
        """Approximate total bytes of stored values (user and meta)."""
        ...

    def count(self) -> int:
        """Number of live user keys (meta entries excluded)."""
        ...

    def ping(self) -> bool:
        """Whether the store answers right now; never raises."""
        ...

    def close(self) -> None: ...


def check_batch(
    upserts: Mapping[str, bytes],
    deletes: Iterable[str],
    ttl_ms: int | None,
    meta: Mapping[str, bytes] | None,
) -> list[str]:
    """Validate a whole batch before any of it is applied; returns the deletes as a list."""
    for key, value in (*upserts.items(), *(meta or {}).items()):
        _check_key(key)
        if not isinstance(value, bytes):
            raise TypeError(f"state value for {key!r} must be bytes, not {type(value).__name__}")
    if ttl_ms is not None and ttl_ms <= 0:
        raise ValueError(f"ttl_ms must be positive, got {ttl_ms}")
    keys = list(deletes)
    for key in keys:
        _check_key(key)
    return keys


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise TypeError(f"state keys must be non-empty strings, got {key!r}")
