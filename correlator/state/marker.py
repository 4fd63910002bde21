"""The store's identity marker: how a wiped or replaced store is told from a new one.

A Redis restarted without persistence answers every read with "no such key", which looks
exactly like a brand-new user: the job would go on, with every baseline empty and every
pending join forgotten, and say nothing. So the store carries a marker naming the job and an
epoch (when its state began). The correlate stage claims it once, before its first write, and
checks it after every write, before the offsets are committed:

- marker present and ours: carry on;
- marker absent while the group has committed offsets: the state those offsets stand for is
  gone; so is a marker that changed under a running job. Nothing more is committed, the job
  reports not ready and says why, until state is rebuilt (see the README: replay the retained
  raw topics into a fresh group) or the store's data is restored;
- marker absent and nothing committed: a new job; it writes the marker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import orjson

from correlator.errors import TransientError
from correlator.state.base import StateStore

MARKER = "marker"


class StoreReplaced(TransientError):
    """The store lost the state the committed offsets stand for: commit nothing until fixed."""


@dataclass(frozen=True)
class Marker:
    job: str
    epoch: int  # ms since the epoch when this state began

    def encode(self) -> bytes:
        return orjson.dumps({"job": self.job, "epoch": self.epoch})

    @classmethod
    def decode(cls, data: bytes) -> Marker | None:
        try:
            raw = orjson.loads(data)
            return cls(str(raw["job"]), int(raw["epoch"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None


def claim(store: StateStore, job: str, *, resuming: bool) -> Marker:
    """The marker this job works under; :class:`StoreReplaced` if the store is not its own."""
    held = store.get_meta(MARKER)
    if held is None:
        if resuming:
            raise StoreReplaced(
                f"the state store holds no marker, yet group {job!r} has committed offsets: "
                "the store was wiped or replaced, and the state those offsets stand for is "
                "gone. Not committing; rebuild the state (README: 'Rebuilding state')"
            )
        fresh = Marker(job, int(time.time() * 1000))
        held = store.claim_meta(MARKER, fresh.encode())  # two new workers: one marker wins
    marker = Marker.decode(held)
    if marker is None or marker.job != job:
        raise StoreReplaced(
            f"the state store's marker {held[:120]!r} is not job {job!r}'s: another job's "
            "store, or a wrong namespace. Not committing"
        )
    return marker


def verify(store: StateStore, marker: Marker) -> None:
    """Raise :class:`StoreReplaced` unless the store still holds ``marker``."""
    held = store.get_meta(MARKER)
    if held != marker.encode():
        found = "no marker" if held is None else f"marker {held[:120]!r}"
        raise StoreReplaced(
            f"the state store now holds {found}, not epoch {marker.epoch} of job "
            f"{marker.job!r}: it was wiped or replaced while running. Not committing; rebuild "
            "the state (README: 'Rebuilding state')"
        )
