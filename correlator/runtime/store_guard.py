"""A stage's guard over its state store: the marker is claimed once, then checked before use.

Every stage that keeps state in a store (the user stage, the keyed stage) checks the store's
marker after reading state and before committing offsets, so that offsets never run ahead of
a store that was wiped or replaced under the job (see ``correlator.state.marker``).
"""

from __future__ import annotations

import logging

from confluent_kafka import Consumer, KafkaException

from correlator.errors import TransientError
from correlator.state.base import StateStore
from correlator.state.marker import Marker, claim, verify

log = logging.getLogger(__name__)


class StoreGuard:
    def __init__(self, stage: str, store: StateStore | None, job: str) -> None:
        self.stage = stage
        self.store = store
        self.job = job
        self.marker: Marker | None = None

    def check(self, consumer: Consumer) -> None:
        """Raise ``StoreReplaced`` (a transient error: nothing is committed) if the store is not
        the one the group's committed offsets stand for."""
        if self.store is None:
            return
        if self.marker is None:
            self.marker = claim(self.store, self.job, resuming=_resuming(consumer, self.stage))
            log.info("%s: state store epoch %d of job %s", self.stage, self.marker.epoch, self.job)
        else:
            verify(self.store, self.marker)


def _resuming(consumer: Consumer, stage: str) -> bool:
    """Has the group committed offsets for the partitions this worker holds?"""
    try:
        held = consumer.committed(consumer.assignment(), timeout=10)
    except KafkaException as exc:
        raise TransientError(f"{stage}: reading committed offsets failed: {exc}") from exc
    return any(tp.offset >= 0 for tp in held)
