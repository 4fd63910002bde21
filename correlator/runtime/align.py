"""Event-time alignment: while a backlog is caught up, records are handled in event-time step.

A consumer catching up a backlog reads its partitions in whatever order the fetches come
back: a whole day of sign-ins can arrive before the audit record of the reset they follow,
and a topic exported file after file arrives one topic at a time. The engine's answer is
only order-insensitive within the allowed lateness, so records are released to the stage
through a small reorder buffer:

- every fetched record waits in its partition's buffer, decoded once, with its event time;
- the buffers are merged by event time, each partition in offset order;
- a record is released only while it is within ``ahead_ms`` of every partition that still
  has records to read on the broker but none in its buffer (that partition's next record may
  be older than anything buffered, so nothing far ahead of it may go first);
- a partition with nothing left to read holds nobody back, so a live stream (every partition
  caught up) is released as it comes.

One fetch of a sparse partition (a helpdesk export, the calls topic) can span days of event
time; its records simply wait in memory until the others catch up, so no partition is ever
rewound and read twice. A partition whose buffer outgrows its share of the byte budget is
paused (librdkafka then fetches nothing more for it) and resumed once half of it is released.
Only released records are committed, each partition in offset order, so whatever still waits
in a buffer is read again after a crash or a rebalance.
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from collections.abc import Mapping
from typing import Generic, Protocol, TypeVar

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

log = logging.getLogger(__name__)

Key = tuple[str, int]
T = TypeVar("T")
UNKNOWN = -(2**62)  # a partition with records left but no event time seen yet: hold others
EARLIEST = -(2**63)  # a record with no event time (a dead letter to be): released at once
RECORD_OVERHEAD = 512  # bytes a buffered record costs beyond its value (message, decoded form)
DEFAULT_BUDGET = 32 * 1024 * 1024
# While the other members hold buffered records back, their next word is what this member
# waits for: on a backlog the members advance by turns, ``ahead_ms`` per exchange, so how soon
# it asks again sets the catch-up rate (the runtimes look at the alignment this often too).
HELD_EVERY_S = 0.01


class Progress(Protocol):
    """How far the group's other members have read (see ``runtime/progress.py``)."""

    def exchange(
        self, mine: Mapping[Key, int | None], *, held: bool = False
    ) -> dict[Key, int | None]: ...

    def close(self) -> None: ...


class Waiting(Generic[T]):
    """A fetched record in its partition's buffer. (A plain class: compiled with mypyc, see
    setup.py, a generic dataclass does not build.)"""

    __slots__ = ("item", "message", "round", "size", "time")

    def __init__(self, message: Message, time: int, item: T, size: int, round: int) -> None:
        self.message = message
        self.time = time
        self.item = item
        self.size = size
        self.round = round


class Alignment(Generic[T]):
    def __init__(
        self,
        consumer: Consumer,
        ahead_ms: int,
        budget_bytes: int = DEFAULT_BUDGET,
        progress: Progress | None = None,
    ) -> None:
        self.consumer = consumer
        self.progress = progress  # the other members' partitions, when the group shares one
        self.ahead_ms = ahead_ms
        self.budget_bytes = budget_bytes
        self.newest: dict[Key, int] = {}  # newest event time read, per partition
        self.buffers: dict[Key, deque[Waiting[T]]] = {}
        self.sizes: dict[Key, int] = {}
        self.paused: set[Key] = set()
        self.waited = 0  # records released later than the fetch that brought them
        self.held_back = False  # the other members' progress held buffered records back
        self._held: set[Key] = set()  # this member's partitions, as of the last release()
        self._floor: list[int] = []  # the other members' partitions' progress
        self._round = 0
        self._start: dict[Key, int] = {}  # where reading began, for partitions not read yet
        self._fresh: list[TopicPartition] = []

    @property
    def buffered(self) -> int:
        return sum(len(buffer) for buffer in self.buffers.values())

    def offer(self, message: Message, time_ms: int | None, item: T) -> None:
        """A fetched record, decoded: it waits until release() lets it go."""
        key = _key(message)
        size = len(message.value() or b"") + RECORD_OVERHEAD
        time = EARLIEST if time_ms is None else time_ms
        self.buffers.setdefault(key, deque()).append(
            Waiting(message, time, item, size, self._round)
        )
        self.sizes[key] = self.sizes.get(key, 0) + size
        if time_ms is not None and time_ms > self.newest.get(key, UNKNOWN):
            self.newest[key] = time_ms

    def release(self) -> list[tuple[Message, T]]:
        """The records that may be handled now, in event-time order across partitions."""
        self._round += 1
        try:
            pending = self._pending()
        except KafkaException as exc:
            log.debug("alignment: pending partitions unknown: %s", exc)
            pending = set()
        else:
            if self.progress is not None:  # only what is known is published
                others = self.progress.exchange(self._mine(pending), held=self.held_back)
                self._floor = [time for time in others.values() if time is not None]
        floor = self._floor
        if not self.buffers:
            self.held_back = False
            return []
        released = drain(self.buffers, self.newest, pending, self.ahead_ms, floor)
        for record in released:
            key = _key(record.message)
            self.sizes[key] -= record.size
            if record.round < self._round - 1:
                self.waited += 1
        for key in [key for key, buffer in self.buffers.items() if not buffer]:
            del self.buffers[key]
            self.sizes.pop(key, None)
        heads = [buffer[0].time for buffer in self.buffers.values()]
        self.held_back = bool(floor and heads) and min(heads) > min(floor) + self.ahead_ms
        return [(record.message, record.item) for record in released]

    def _mine(self, pending: set[Key]) -> dict[Key, int | None]:
        """Each held partition's progress for the others: the oldest event time it may still
        hand on (its first waiting record, else its newest read), or None when caught up."""
        mine: dict[Key, int | None] = {}
        for key in self._held | self.buffers.keys():  # pending partitions are held ones
            buffer = self.buffers.get(key)
            if buffer and buffer[0].time != EARLIEST:
                mine[key] = buffer[0].time
            elif buffer or key in pending:
                mine[key] = self.newest.get(key, UNKNOWN)
            else:
                mine[key] = None
        return mine

    def apply(self) -> None:
        """Pause the partitions whose buffer is over their share, resume the drained ones."""
        try:
            if self._fresh:
                self.consumer.resume(self._fresh)
                self._fresh = []
            share = max(self.budget_bytes // max(len(self._held), 1), 64 * RECORD_OVERHEAD)
            full = {key for key, size in self.sizes.items() if size > share}
            drained = {key for key in self.paused if self.sizes.get(key, 0) <= share // 2}
            pause, resume = full - self.paused, drained - full
            if pause:
                self.consumer.pause([TopicPartition(t, p) for t, p in pause])
            if resume:
                self.consumer.resume([TopicPartition(t, p) for t, p in resume])
        except KafkaException as exc:
            log.debug("alignment: pause or resume failed: %s", exc)
            return
        self.paused = (self.paused | pause) - resume

    def assign(self, partitions: list[TopicPartition]) -> None:
        """Partitions given to this member: read from their committed offsets, unpaused."""
        for tp in partitions:
            self._forget((tp.topic, tp.partition))
        # A partition paused before a rebalance may come back still paused; resumed on the next
        # apply(), as the assignment only takes effect after the rebalance callback returns.
        self._fresh.extend(partitions)

    def revoke(self, partitions: list[TopicPartition]) -> None:
        """Partitions taken away: what waits for them is read again by their next owner."""
        for tp in partitions:
            self._forget((tp.topic, tp.partition))

    def rewind(self) -> None:
        """Outside a rebalance (the group refused a commit): drop what waits and seek each
        partition back to its first waiting record, so nothing is skipped if we keep it."""
        for key, buffer in list(self.buffers.items()):
            first = buffer[0].message.offset() or 0
            try:
                self.consumer.seek(TopicPartition(key[0], key[1], first))
            except KafkaException as exc:  # no longer ours: its next owner reads it
                log.debug("alignment: cannot rewind %s[%d]: %s", key[0], key[1], exc)
            self._forget(key)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.close()

    def _forget(self, key: Key) -> None:
        self.buffers.pop(key, None)
        self.sizes.pop(key, None)
        self.newest.pop(key, None)
        self._start.pop(key, None)
        self.paused.discard(key)

    def _pending(self) -> set[Key]:
        """Assigned partitions with records not yet read (unknown ones count as pending)."""
        assignment = self.consumer.assignment()
        self._held = {(tp.topic, tp.partition) for tp in assignment}
        positions = self.consumer.position(assignment)
        pending: set[Key] = set()
        for tp in positions:
            key = (tp.topic, tp.partition)
            _, high = self.consumer.get_watermark_offsets(tp, cached=True)
            if high < 0:
                # Not fetched yet (no broker round trip here: it would stall every idle step
                # during an outage). It holds the others back until its first fetch.
                pending.add(key)
                continue
            offset = tp.offset if tp.offset >= 0 else self._start_of(tp)
            if offset < high:
                pending.add(key)
        return pending

    def _start_of(self, tp: TopicPartition) -> int:
        """The committed offset (else the earliest) of a partition nothing was read from."""
        key = (tp.topic, tp.partition)
        if key not in self._start:
            [committed] = self.consumer.committed([TopicPartition(tp.topic, tp.partition)], 5.0)
            if committed.offset >= 0:
                self._start[key] = committed.offset
            else:
                low, _ = self.consumer.get_watermark_offsets(tp, timeout=2.0)
                self._start[key] = low
        return self._start[key]


def drain(
    buffers: dict[Key, deque[Waiting[T]]],
    newest: dict[Key, int],
    pending: set[Key],
    ahead_ms: int,
    floor: list[int] | None = None,
) -> list[Waiting[T]]:
    """Take from the buffers what may be handled now, merged by event time.

    A partition with records left on the broker but none buffered bounds the others at its
    newest event time plus ``ahead_ms``; one emptied here starts bounding them at once. So do
    the other members' partitions, at their published progress (``floor``).
    """
    unseen = [newest.get(k, UNKNOWN) for k in pending if not buffers.get(k)] + (floor or [])
    bound = min(unseen) + ahead_ms if unseen else None
    heads = [(buffer[0].time, key) for key, buffer in buffers.items() if buffer]
    heapq.heapify(heads)
    released: list[Waiting[T]] = []
    while heads:
        time, key = heads[0]
        if bound is not None and time > bound:
            break
        buffer = buffers[key]
        released.append(buffer.popleft())
        if buffer:
            heapq.heapreplace(heads, (buffer[0].time, key))
            continue
        heapq.heappop(heads)
        if key in pending:
            # Its next record is unread and may be as old as its newest: the others wait.
            limit = newest.get(key, UNKNOWN) + ahead_ms
            bound = limit if bound is None else min(bound, limit)
    return released


def _key(message: Message) -> Key:
    return (message.topic() or "", message.partition() or 0)
