"""The part of faust's consumer a stage sees, through confluent-kafka's ``Consumer`` methods.

A stage subscribes, is told of rebalances, reads its assignment and the group's committed
offsets (the correlate stage's store marker), and, for the event-time alignment (normalize and
correlate), reads positions, high watermarks and committed offsets and pauses and resumes
partitions. faust's agents own the subscription; this adapter answers the rest from faust's
consumer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, NamedTuple

from faust.types import TP

OFFSET_NONE = -1001  # librdkafka's "no offset"
Key = tuple[str, int]


class Position(NamedTuple):
    topic: str
    partition: int
    offset: int


def _key(tp: Any) -> Key:
    return (str(tp.topic), int(tp.partition))


class FaustAssignment:
    def __init__(self, app: Any) -> None:
        self._app = app
        self.topics: tuple[str, ...] = ()
        self.on_assign: Callable[[Any, list[Any]], None] | None = None
        self.on_revoke: Callable[[Any, list[Any]], None] | None = None
        self._next: dict[Key, int] = {}  # the offset after the last record the stage received
        self._earliest: dict[Key, int] = {}  # read on assignment
        self._paused: set[TP] = set()

    def subscribe(
        self,
        topics: Sequence[str],
        on_assign: Callable[[Any, list[Any]], None] | None = None,
        on_revoke: Callable[[Any, list[Any]], None] | None = None,
        on_lost: Callable[[Any, list[Any]], None] | None = None,
    ) -> None:
        # faust's agents subscribe; only the callbacks are kept, fired by the app's signals.
        self.topics = tuple(topics)
        self.on_assign, self.on_revoke = on_assign, on_revoke

    def mine(self, partitions: Iterable[Any]) -> list[Any]:
        return [tp for tp in partitions if tp.topic in self.topics]

    # -- rebalances, fired by the runtime on faust's signals ------------------------------------

    async def assigned(self, partitions: Iterable[Any]) -> None:
        held = self.mine(partitions)
        self._next.clear()
        self._paused.clear()
        # Where a partition with no committed offset starts (retention may have moved it on).
        earliest = await self._app.consumer.earliest_offsets(*held) if held else {}
        self._earliest = {_key(tp): int(offset) for tp, offset in earliest.items()}
        if self.on_assign is not None:
            self.on_assign(self, held)

    def revoked(self, partitions: Iterable[Any]) -> None:
        gone = self.mine(partitions)
        if self.on_revoke is not None and gone:
            self.on_revoke(self, gone)

    def received(self, records: Iterable[Any]) -> None:
        """Records the stage now holds (handled or waiting in its alignment buffer).

        The alignment asks which partitions still have records to read: one whose records sit
        in faust's stream buffer still does, so positions move only here, as librdkafka's move
        only when ``consume()`` returns a record.
        """
        for record in records:
            key = (record.topic(), record.partition())
            self._next[key] = max(self._next.get(key, 0), record.offset() + 1)

    # -- what the stages read --------------------------------------------------------------------

    def assignment(self) -> list[Any]:
        return self.mine(self._app.consumer.assignment())

    def committed(self, partitions: Iterable[Any], timeout: float | None = None) -> list[Position]:
        """The group's committed offsets, as faust read them when the partitions were assigned
        (-1001, librdkafka's "none", where the group has committed nothing)."""
        known = self._app.consumer._committed_offset  # faust keeps no public view of these
        return [
            Position(tp.topic, tp.partition, _offset(known.get(TP(*_key(tp))))) for tp in partitions
        ]

    def list_topics(self, topic: str, timeout: float | None = None) -> Any:
        """The partition count in librdkafka's metadata shape (``.topics[t].partitions``)."""
        count = self._app.consumer.topic_partitions(topic) or 0
        return SimpleNamespace(
            topics={topic: SimpleNamespace(partitions=dict.fromkeys(range(count)))}
        )

    def position(self, partitions: Iterable[Any]) -> list[Position]:
        """The next offset this stage receives, or where it starts when it received none yet."""
        return [Position(*_key(tp), self._start(_key(tp))) for tp in partitions]

    def _start(self, key: Key) -> int:
        if key in self._next:
            return self._next[key]
        committed = self._app.consumer._committed_offset.get(TP(*key))
        if committed is not None and committed >= 0:
            return int(committed)
        return self._earliest.get(key, OFFSET_NONE)

    def get_watermark_offsets(
        self, tp: Any, timeout: float | None = None, cached: bool = False
    ) -> tuple[int, int]:
        high = self._app.consumer.highwater(TP(*_key(tp)))
        return self._earliest.get(_key(tp), 0), -1 if high is None else int(high)

    # -- the alignment's pauses -------------------------------------------------------------------

    def pause(self, partitions: Iterable[Any]) -> None:
        """Stop fetching from these partitions.

        Through faust's own back-pressure (a stream buffer that is full): records of the
        partition already fetched are still delivered, never skipped, whereas faust's
        ``pause_partitions`` drops those of a fetch in progress.
        """
        for tp in partitions:
            self._paused.add(TP(*_key(tp)))
            self._app.consumer.on_buffer_full(TP(*_key(tp)))

    def resume(self, partitions: Iterable[Any]) -> None:
        for tp in partitions:
            self._paused.discard(TP(*_key(tp)))
            self._app.consumer.on_buffer_drop(TP(*_key(tp)))

    def seek(self, partition: Any) -> None:
        """Never needed here: only a refused commit rewinds an alignment, and faust commits
        acknowledged offsets itself. A record dropped from a buffer on a revocation is read
        again from the committed offset, where faust seeks on the next assignment."""
        raise NotImplementedError("the faust runtime never rewinds an alignment")

    def hold(self) -> None:
        """Pause again what faust resumed when a stream buffer drained."""
        for tp in self._paused:
            self._app.consumer.on_buffer_full(tp)

    def close(self) -> None:
        return None  # faust closes its own consumer


def _offset(offset: int | None) -> int:
    return OFFSET_NONE if offset is None else int(offset)
