"""Event-time alignment: while a backlog is caught up, no input partition runs far ahead.

A consumer catching up a backlog reads its partitions in whatever order the fetches come
back: a whole day of sign-ins can arrive before the audit record of the reset they follow,
and a topic exported file after file arrives one topic at a time. The engine's answer is
only order-insensitive within the allowed lateness, so the stage keeps the partitions that
still hold unread records within ``ahead_ms`` of event time of each other: a partition
ahead of the slowest one is paused until the slowest catches up. A partition with nothing
left to read holds nobody back, so a live stream (every partition caught up) is never paused.

Pausing acts between fetches, but one fetch of a sparse partition (a helpdesk export, the
calls topic) can span days of event time. So within a batch each record is admitted only if
it is within ``ahead_ms`` of the slowest other partition with records left; the first record
that is not holds its partition back: the partition is paused and rewound to that record,
which is read again (and the rest of the batch's records from that partition with it) once
the others catch up. Nothing held back is committed.
"""

from __future__ import annotations

import logging

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

log = logging.getLogger(__name__)

Key = tuple[str, int]
UNKNOWN = -(2**62)  # a partition with records left but no event time seen yet: hold others


def decide(
    newest: dict[Key, int], pending: set[Key], paused: set[Key], ahead_ms: int
) -> tuple[set[Key], set[Key]]:
    """(partitions to pause, partitions to resume) for the event times read so far.

    The slowest partition with records left sets the frontier; it is never paused, so the
    frontier always moves and nothing waits forever.
    """
    if not pending:
        return set(), set(paused)
    frontier = min(newest.get(key, UNKNOWN) for key in pending)
    limit = frontier + ahead_ms
    ahead = {key for key in newest if newest[key] > limit and key in pending}
    # A paused partition resumes only once it is half the bound ahead: it then reads half a
    # bound's worth before it has to wait again, not one record per fetch.
    waiting = {k for k in paused if k in pending and newest.get(k, UNKNOWN) > limit - ahead_ms // 2}
    return ahead - paused, paused - ahead - waiting


class Alignment:
    def __init__(self, consumer: Consumer, ahead_ms: int) -> None:
        self.consumer = consumer
        self.ahead_ms = ahead_ms
        self.newest: dict[Key, int] = {}
        self.paused: set[Key] = set()
        self.pauses = 0
        self._start: dict[Key, int] = {}  # where reading began, for partitions not read yet
        self._fresh: list[TopicPartition] = []
        self.held: dict[Key, int] = {}  # partition -> offset of its first record held back
        self.waiting: dict[Key, int] = {}  # partition -> event time of the record held back
        self.held_records = 0
        self._batch_pending: set[Key] = set()

    def begin(self, batch: list[Message]) -> None:
        """A new batch (not a batch handled again): which partitions have records to read."""
        self.held.clear()
        try:
            pending = self._pending()
        except KafkaException as exc:
            log.debug("alignment: pending partitions unknown: %s", exc)
            pending = set()
        self._batch_pending = pending | {_key(m) for m in batch}

    def holds(self, message: Message) -> bool:
        """Is this record behind one held back (to be read again later, never committed now)?"""
        key = _key(message)
        return key in self.held and (message.offset() or 0) >= self.held[key]

    def admit(self, message: Message, time_ms: int | None) -> bool:
        """May this record be handled now? Its event time, when known, joins its partition's."""
        if self.holds(message):
            return False
        key = _key(message)
        if time_ms is None:
            return True
        others = [self._position(k) for k in self._batch_pending if k != key]
        if not others or time_ms <= min(others) + self.ahead_ms or not self._hold(message):
            self.saw(key[0], key[1], time_ms)
            self.waiting.pop(key, None)
            return True
        self.waiting[key] = time_ms
        return False

    def _position(self, key: Key) -> int:
        """How far on a partition is: its newest record read, or the one it holds back.

        Counting the held record matters: were held partitions counted at their last read
        record only, the partitions holding each other back would wait for one another.
        """
        return max(self.newest.get(key, UNKNOWN), self.waiting.get(key, UNKNOWN))

    def _hold(self, message: Message) -> bool:
        """Pause the record's partition and rewind it to the record; False if that failed (then
        the record is handled now: skipping it without a rewind would lose it)."""
        key = _key(message)
        offset = message.offset() or 0
        tp = TopicPartition(key[0], key[1], offset)
        try:
            self.consumer.pause([TopicPartition(key[0], key[1])])
            self.consumer.seek(tp)
        except KafkaException as exc:
            log.debug("alignment: cannot hold %s[%d] back: %s", key[0], key[1], exc)
            return False
        self.paused.add(key)
        self.held[key] = offset
        self.held_records += 1
        self.pauses += 1
        return True

    def saw(self, topic: str, partition: int, time_ms: int) -> None:
        key = (topic, partition)
        if time_ms > self.newest.get(key, UNKNOWN):
            self.newest[key] = time_ms

    def reset(self, assigned: list[TopicPartition] | None = None) -> None:
        """A new assignment (or a revocation): start over, with nothing paused."""
        self.newest.clear()
        self.paused.clear()
        self._start.clear()
        self.held.clear()
        self.waiting.clear()
        self._batch_pending = set()
        # A partition paused before a rebalance may come back still paused; resumed on the next
        # apply(), as the assignment only takes effect after the rebalance callback returns.
        self._fresh = list(assigned or [])

    def apply(self) -> None:
        try:
            if self._fresh:
                self.consumer.resume(self._fresh)
                self._fresh = []
            pending = self._pending()
        except KafkaException as exc:
            log.debug("alignment skipped: %s", exc)
            return
        newest = {key: self._position(key) for key in self.newest.keys() | self.waiting.keys()}
        pause, resume = decide(newest, pending, self.paused, self.ahead_ms)
        if pause:
            self.consumer.pause([TopicPartition(t, p) for t, p in pause])
            self.pauses += len(pause)
        if resume:
            self.consumer.resume([TopicPartition(t, p) for t, p in resume])
        self.paused = (self.paused | pause) - resume

    def _pending(self) -> set[Key]:
        """Assigned partitions with records not yet read (unknown ones count as pending)."""
        assignment = self.consumer.assignment()
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


def _key(message: Message) -> Key:
    return (message.topic() or "", message.partition() or 0)
