"""A dict-backed state store: the embedded default, gone when the process exits."""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from correlator.state.base import check_batch


class MemoryStore:
    """Keeps values in process memory; TTLs follow ``clock`` (seconds, monotonic by default)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, bytes] = {}
        self._deadlines: dict[str, float] = {}
        # (deadline, key) pairs; stale entries (key rewritten or deleted) are skipped on pop.
        self._expiry_heap: list[tuple[float, str]] = []
        self._meta: dict[str, bytes] = {}
        self._bytes = 0

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        self._expire()
        return {key: self._values[key] for key in keys if key in self._values}

    def write_batch(
        self,
        upserts: Mapping[str, bytes],
        deletes: Iterable[str] = (),
        *,
        ttl_ms: int | None = None,
        meta: Mapping[str, bytes] | None = None,
    ) -> None:
        # Validation happens up front: past it nothing can fail, so the batch is all-or-nothing.
        doomed = check_batch(upserts, deletes, ttl_ms, meta)
        self._expire()
        deadline = None if ttl_ms is None else self._clock() + ttl_ms / 1000
        for key, value in upserts.items():
            self._set(key, value, deadline)
        for key in doomed:
            self._drop(key)
        for name, value in (meta or {}).items():
            self._bytes += len(value) - len(self._meta.get(name, b""))
            self._meta[name] = value

    def get_meta(self, name: str) -> bytes | None:
        return self._meta.get(name)

    def put_meta(self, name: str, value: bytes) -> None:
        self.write_batch({}, meta={name: value})

    def claim_meta(self, name: str, value: bytes) -> bytes:
        if name not in self._meta:
            self.put_meta(name, value)
        return self._meta[name]

    def size_bytes(self) -> int:
        self._expire()
        return self._bytes

    def count(self) -> int:
        self._expire()
        return len(self._values)

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release; the data stays readable until the object is dropped."""

    def _set(self, key: str, value: bytes, deadline: float | None) -> None:
        self._drop(key)
        self._values[key] = value
        self._bytes += len(value)
        if deadline is not None:
            self._deadlines[key] = deadline
            heapq.heappush(self._expiry_heap, (deadline, key))
            if len(self._expiry_heap) > 2 * len(self._deadlines) + 1024:
                self._compact_heap()

    def _drop(self, key: str) -> None:
        old = self._values.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._deadlines.pop(key, None)

    def _compact_heap(self) -> None:
        # Hot keys rewritten every batch would otherwise pile up stale heap entries for a
        # whole TTL; rebuilding when stale entries dominate keeps the heap O(live keys).
        self._expiry_heap = [(deadline, key) for key, deadline in self._deadlines.items()]
        heapq.heapify(self._expiry_heap)

    def _expire(self) -> None:
        now = self._clock()
        heap = self._expiry_heap
        while heap and heap[0][0] <= now:
            deadline, key = heapq.heappop(heap)
            if self._deadlines.get(key) == deadline:
                self._drop(key)
