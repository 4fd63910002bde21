"""The batch loop both stages share: consume, handle, make durable, then commit.

Offsets are committed only after every produced message is acknowledged and the batch's state
is written. On a transient failure the batch is rewound (the consumer seeks back to its first
offsets) and handled again later: at-least-once, with deterministic alert ids downstream.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from correlator.errors import TransientError
from correlator.runtime.align import Alignment
from correlator.runtime.clients import DeliveryFailed, TrackedProducer

log = logging.getLogger(__name__)
P = TypeVar("P")  # a record as the stage decoded it, once, before it is handled

# The group no longer counts this member in: commit nothing more, rejoin, resume from the
# offsets the group holds.
MEMBERSHIP_LOST = frozenset(
    {
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.FENCED_INSTANCE_ID,
        KafkaError._ASSIGNMENT_LOST,
        KafkaError._MAX_POLL_EXCEEDED,
    }
)
# Retrying cannot help: the credentials lack the right; an operator has to act.
FATAL_COMMIT = frozenset(
    {KafkaError.GROUP_AUTHORIZATION_FAILED, KafkaError.TOPIC_AUTHORIZATION_FAILED}
)


class CommitFailed(TransientError):
    """The offsets could not be committed; the batch is durable, so this is never a loss."""


@dataclass
class WorkerStats:
    consumed: dict[str, int] = field(default_factory=dict)  # by topic
    batches: int = 0
    commits: int = 0
    committed_messages: int = 0  # each message once, however often a rewind made us read it
    rewinds: int = 0
    commit_failures: int = 0
    last_batch_s: float = 0.0
    assigned: int = 0


class BatchWorker(ABC, Generic[P]):
    name = "worker"

    def __init__(
        self,
        consumer: Consumer,
        producer: TrackedProducer,
        topics: Sequence[str],
        *,
        batch_size: int,
        batch_timeout_s: float,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.topics = tuple(topics)
        self.batch_size = batch_size
        self.batch_timeout_s = batch_timeout_s
        self.stats = WorkerStats()
        self._pending: list[Message] = []
        self._prepared: list[P] = []
        self._phase = "idle"
        self._started = 0.0
        self.alignment: Alignment[P] | None = None  # set by a stage that knows event times
        consumer.subscribe(
            list(self.topics),
            on_assign=self._assigned,
            on_revoke=self._revoked,
            on_lost=self._revoked,
        )

    # -- the loop ------------------------------------------------------------------------------

    def step(self, wait_s: float | None = None) -> int:
        """Advance the current batch to committed; returns how many messages it held.

        ``wait_s`` bounds how long the consume waits for a batch to fill (the batch timeout
        by default; 0 takes what has already been fetched).

        Each phase is done once: after a transient failure the next call resumes at the phase
        that failed (a store write or a commit is retried, the batch is not handled twice).
        """
        if self._phase in ("idle", "rewound"):
            if self._phase == "idle":
                self._take(self._consume(self.batch_timeout_s if wait_s is None else wait_s))
            if not self._pending:
                self.producer.poll()
                if self.alignment is not None:
                    self.alignment.apply()  # the partitions read so far may be caught up
                return 0
            self._started = time.perf_counter()
            try:
                self.handle(self._pending, self._prepared)
            except TransientError:
                self.rewind()  # the batch may be half applied: read it again from the store
                raise
            self._phase = "handled"
        if self._phase == "handled":
            try:
                self.producer.flush()
            except DeliveryFailed:
                self.rewind()  # some outputs are lost: the whole batch must be handled again
                raise
            self._phase = "flushed"
        if self._phase == "flushed":
            self.persist()
            self._phase = "persisted"
        batch = self._pending
        self._commit(batch)
        if self.alignment is not None:
            self.alignment.apply()
        self._pending, self._prepared, self._phase = [], [], "idle"
        self.stats.batches += 1
        self.stats.last_batch_s = time.perf_counter() - self._started
        self.after_batch(batch, self.stats.last_batch_s)
        return len(batch)

    @property
    def busy(self) -> bool:
        return self._phase != "idle"

    def _take(self, fetched: list[Message]) -> None:
        """Decode each fetched record once; with alignment, the batch is what it releases."""
        alignment = self.alignment
        if alignment is None:
            prepared = [self.prepare(message)[1] for message in fetched]
            self._pending, self._prepared = fetched, prepared
            return
        for message in fetched:
            time_ms, item = self.prepare(message)
            alignment.offer(message, time_ms, item)
        released = alignment.release()
        self._pending = [message for message, _ in released]
        self._prepared = [item for _, item in released]

    def _consume(self, wait_s: float) -> list[Message]:
        messages = self.consumer.consume(self.batch_size, wait_s)
        good = []
        for message in messages:
            error = message.error()
            if error is None:
                good.append(message)
                topic = message.topic() or ""
                self.stats.consumed[topic] = self.stats.consumed.get(topic, 0) + 1
            elif error.code() != KafkaError._PARTITION_EOF:
                log.warning("%s: consumer error: %s", self.name, error.str())
        return good

    def _commit(self, batch: list[Message]) -> None:
        offsets: dict[tuple[str, int], int] = {}
        for message in batch:
            key = (message.topic() or "", message.partition() or 0)
            offsets[key] = max(offsets.get(key, -1), (message.offset() or 0) + 1)
        positions = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        try:
            if positions:
                self.consumer.commit(offsets=positions, asynchronous=False)
        except KafkaException as exc:
            self._commit_failed(exc)
        self.stats.commits += 1
        self.stats.committed_messages += len(batch)

    def _commit_failed(self, exc: KafkaException) -> None:
        """Sort a failed commit: retry it, give the batch up to a rejoin, or stop for good.

        The batch's outputs and state are durable by now, so nothing is lost either way: a
        batch given up is read again from the committed offsets, and the engine and the
        deterministic alert ids make the repeat harmless.
        """
        error: KafkaError = exc.args[0]
        code = error.code()
        if code in FATAL_COMMIT:
            raise exc
        self.stats.commit_failures += 1
        if code in MEMBERSHIP_LOST:
            # The group moved on without us (session expired, rebalance): these partitions
            # may be another member's now. Rejoin on the next consume, from committed offsets.
            self._pending, self._prepared, self._phase = [], [], "idle"
            if self.alignment is not None:
                self.alignment.rewind()
            self.reset_state()
            raise CommitFailed(f"{self.name}: commit refused, rejoining: {error.str()}") from exc
        raise CommitFailed(f"{self.name}: commit failed, will retry: {error.str()}") from exc

    def rewind(self) -> None:
        """After a transient failure: forget what the batch did, and handle it again.

        The batch's messages are still in hand, so they are handled again from memory rather
        than re-fetched: no seek that could race a fetch, and nothing to lose between the two.
        The state is reloaded from the store; outputs already produced are produced again,
        which at-least-once allows (the alert ids are deterministic).
        """
        self._phase = "rewound" if self._pending else "idle"
        self.stats.rewinds += 1
        self.reset_state()

    def close(self) -> None:
        try:
            self.producer.flush()
        finally:
            self.consumer.close()
            if self.alignment is not None:
                self.alignment.close()

    # -- rebalancing ----------------------------------------------------------------------------

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.stats.assigned = len(partitions)
        if self.alignment is not None:
            self.alignment.assign(partitions)
        self.reset_state()

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.alignment is not None:
            self.alignment.revoke(partitions)
        # Callbacks run inside consume(), which is only called between batches: every batch
        # this worker handled is already committed.
        self._pending, self._prepared, self._phase = [], [], "idle"
        self.stats.assigned = 0
        self.reset_state()

    # -- what a stage does -----------------------------------------------------------------------

    @abstractmethod
    def prepare(self, message: Message) -> tuple[int | None, P]:
        """The record decoded, and its event time when the stage knows one."""

    @abstractmethod
    def handle(self, batch: list[Message], prepared: list[P]) -> None:
        """Handle the batch; ``prepared[i]`` is what prepare() made of ``batch[i]``."""

    def persist(self) -> None:
        return None

    def reset_state(self) -> None:
        return None

    def after_batch(self, batch: list[Message], seconds: float) -> None:
        return None
