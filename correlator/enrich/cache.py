"""A bounded least-recently-used cache for per-address enrichment results.

Sign-ins repeat addresses heavily (corporate egress, a user's home line), so the hot path is a
dict hit. ``OrderedDict`` keeps recency in C; no locking, because each enricher belongs to one
partition owner.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """Maps keys to values, dropping the least recently used beyond ``maxsize`` (0 disables)."""

    __slots__ = ("_data", "_maxsize")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 0:
            raise ValueError(f"cache size must be >= 0, got {maxsize}")
        self._data: OrderedDict[K, V] = OrderedDict()
        self._maxsize = maxsize

    @property
    def maxsize(self) -> int:
        return self._maxsize

    def get(self, key: K) -> V | None:
        data = self._data
        value = data.get(key)
        if value is not None:
            data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        if not self._maxsize:
            return
        data = self._data
        data[key] = value
        data.move_to_end(key)
        if len(data) > self._maxsize:
            data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data
