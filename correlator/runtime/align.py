"""Event-time alignment: while a backlog is caught up, no input partition runs far ahead.

A consumer catching up a backlog reads its partitions in whatever order the fetches come
back: a whole day of sign-ins can arrive before the audit record of the reset they follow,
and a topic exported file after file arrives one topic at a time. The engine's answer is
only order-insensitive within the allowed lateness, so the stage keeps the partitions that
still hold unread records within ``ahead_ms`` of event time of each other: a partition
ahead of the slowest one is paused until the slowest catches up. A partition with nothing
left to read holds nobody back, so a live stream (every partition caught up) is never paused.
"""

from __future__ import annotations

import logging

from confluent_kafka import Consumer, KafkaException, TopicPartition

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
    return ahead - paused, paused - ahead


class Alignment:
    def __init__(self, consumer: Consumer, ahead_ms: int) -> None:
        self.consumer = consumer
        self.ahead_ms = ahead_ms
        self.newest: dict[Key, int] = {}
        self.paused: set[Key] = set()
        self.pauses = 0
        self._start: dict[Key, int] = {}  # where reading began, for partitions not read yet
        self._fresh: list[TopicPartition] = []

    def saw(self, topic: str, partition: int, time_ms: int) -> None:
        key = (topic, partition)
        if time_ms > self.newest.get(key, UNKNOWN):
            self.newest[key] = time_ms

    def reset(self, assigned: list[TopicPartition] | None = None) -> None:
        """A new assignment (or a revocation): start over, with nothing paused."""
        self.newest.clear()
        self.paused.clear()
        self._start.clear()
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
        pause, resume = decide(self.newest, pending, self.paused, self.ahead_ms)
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
