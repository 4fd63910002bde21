"""How far each member of a stage's group has read, in event time, shared through Redis.

Event-time alignment keeps one member's partitions in step. With several members each would
align only its own, and on a backlog one member can run days ahead of another: then a user's
sign-ins (read by one member) and the reset they follow (read by another) reach the next stage
days apart, and the keyed stage's tenant-wide sets lose their neighbours. So every member
publishes, per input partition it holds, the oldest event time it may still hand on (or that
the partition is caught up), and holds its own records within the alignment bound of the
slowest partition any member still has to read.

A member that dies stops publishing; its entries are kept for ``stale_ms`` (long enough for
the group to hand its partitions over, after which the new owner publishes them) and then
ignored, so one lost member never stops the others for good.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis
from redis import exceptions as rx
from redis.cluster import RedisCluster

from correlator.runtime.align import HELD_EVERY_S
from correlator.state import CLUSTER_PREFIXES
from correlator.state.redis_cluster import plain_url

log = logging.getLogger(__name__)

Key = tuple[str, int]
IDLE = None  # a partition with nothing left to read: it holds nobody back
STALE_MS = 120_000
EVERY_S = 0.1  # at most this often: a Redis round trip per exchange, not per record


class RedisProgress:
    def __init__(
        self,
        url: str,
        board: str,
        *,
        stale_ms: int = STALE_MS,
        every_s: float = EVERY_S,
        held_every_s: float = HELD_EVERY_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = _connect(url)
        self.board = board
        self.stale_ms = stale_ms
        self.every_s = every_s
        self.held_every_s = min(held_every_s, every_s)
        self.clock = clock
        self._last = float("-inf")
        self._others: dict[Key, int | None] = {}

    def exchange(
        self, mine: Mapping[Key, int | None], *, held: bool = False
    ) -> dict[Key, int | None]:
        """Publish this member's partitions; the other partitions' progress, as last read.
        ``held``: the others held this member back last time, so ask again sooner.

        A failed round trip keeps the last view: the store's own failures stop the batch
        elsewhere, and an old view only makes this member wait longer, never run ahead.
        """
        now = self.clock()
        if now - self._last >= (self.held_every_s if held else self.every_s):
            self._last = now
            self._write_and_read(mine, int(now * 1000))
        return {k: v for k, v in self._others.items() if k not in mine}

    def _write_and_read(self, mine: Mapping[Key, int | None], now_ms: int) -> None:
        try:
            pipe = self._client.pipeline(transaction=False)
            if mine:
                entries = {_field(k): _value(v, now_ms) for k, v in mine.items()}
                pipe.hset(self.board, mapping=entries)
            pipe.hgetall(self.board)
            pipe.pexpire(self.board, self.stale_ms * 10)
            board = pipe.execute()[-2]
        except (rx.RedisError, OSError) as exc:
            log.debug("alignment: progress board %s unreadable: %s", self.board, exc)
            return
        self._others = _parse(board, now_ms - self.stale_ms)

    def close(self) -> None:
        self._client.close()


def _connect(url: str) -> Any:
    """The board lives in the state's Redis; one hash, so one slot on a cluster."""
    if url.startswith(CLUSTER_PREFIXES):
        return RedisCluster.from_url(plain_url(url), socket_timeout=2.0, socket_connect_timeout=2.0)
    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)


def _field(key: Key) -> str:
    return f"{key[1]}:{key[0]}"  # the partition first: topic names may hold a colon


def _value(progress: int | None, now_ms: int) -> str:
    return f"{'idle' if progress is IDLE else progress} {now_ms}"


def _parse(entries: Mapping[bytes, bytes], fresh_after_ms: int) -> dict[Key, int | None]:
    others: dict[Key, int | None] = {}
    for field, value in entries.items():
        try:
            partition, topic = field.decode().split(":", 1)
            progress, written = value.decode().split(" ")
            if int(written) < fresh_after_ms:
                continue  # its member is gone and nobody took the partition over
            others[(topic, int(partition))] = IDLE if progress == "idle" else int(progress)
        except (UnicodeDecodeError, ValueError):
            log.debug("alignment: unreadable progress entry %r=%r", field, value)
    return others
