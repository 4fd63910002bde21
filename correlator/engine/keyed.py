"""The keyed engine: what the user stage forwarded, per phone number, agent or tenant.

Like the user engine it is pure and driven by event time: each key stores its calls, changes
and callee signals (deduplicated by id), every rule re-derives its findings from the stored
set, and a key's own horizon (newest event time minus the lateness and the retention) decides
what is forgotten. An event older than that horizon is refused as too late rather than judged
against a set that has lost its neighbours: within the bound the result does not depend on
the order the key's events arrive in, and beyond it nothing is published that replay would
not give.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from typing import Protocol, TypeVar

import msgspec

from correlator.config import DetectionConfig
from correlator.engine.publish import publish_keyed_finding
from correlator.engine.repository import Codec, MemoryStates
from correlator.engine.state import Emitted
from correlator.errors import InvalidRecord
from correlator.keyed import CalleeSignal, KeyContext, KeyedEvent, event_time
from correlator.model import CallRecord, CredentialChange, Finding
from correlator.rules.base import KeyedRule

MAX_PER_KIND = 256  # per key: a campaign of a few hundred calls is still one campaign
_Item = TypeVar("_Item", CallRecord, CredentialChange, CalleeSignal)


class KeyState(msgspec.Struct, omit_defaults=True):
    calls: list[CallRecord] = msgspec.field(default_factory=list)
    changes: list[CredentialChange] = msgspec.field(default_factory=list)
    signals: list[CalleeSignal] = msgspec.field(default_factory=list)
    emitted: list[Emitted] = msgspec.field(default_factory=list)
    max_time: int = 0


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(KeyState)
KEY_CODEC: Codec[KeyState] = Codec(_encoder.encode, _decoder.decode, KeyState)


class KeyedTooLate(InvalidRecord):
    """A forwarded event older than its key's horizon: its neighbours were already forgotten."""

    def __init__(self, item: KeyedEvent, newest: int, bound_ms: int) -> None:
        behind_h = (newest - event_time(item.event)) / 3_600_000
        super().__init__(
            "too_late",
            f"{type(item.event).__name__} {item.event.id} for {item.key} is {behind_h:.1f} h "
            f"behind the key's newest event; the keyed stage keeps {bound_ms / 3_600_000:g} h",
            field="time",
        )


class KeyStates(Protocol):
    def get(self, key: str) -> KeyState: ...
    def mark_dirty(self, key: str) -> None: ...


class KeyedEngine:
    def __init__(
        self,
        config: DetectionConfig,
        rules: Sequence[KeyedRule],
        *,
        states: KeyStates | None = None,
    ) -> None:
        self.config = config
        self.rules = tuple(rules)
        self.states: KeyStates = states if states is not None else MemoryStates(KEY_CODEC)
        self.stats: Counter[str] = Counter()

    @property
    def horizon_ms(self) -> int:
        """How far behind a key's newest event its events are still held."""
        return self.config.lateness_ms + self.config.keyed_retention_ms

    def process(self, item: KeyedEvent) -> list[Finding]:
        """Store the event under its key and return the findings it creates or revises.

        Raises :class:`KeyedTooLate` for an event older than the key's horizon.
        """
        state = self.states.get(item.key)
        event, time = item.event, event_time(item.event)
        if state.max_time and time < state.max_time - self.horizon_ms:
            self.stats["late"] += 1
            raise KeyedTooLate(item, state.max_time, self.horizon_ms)
        if isinstance(event, CallRecord):
            stored = _insert(state.calls, event, time)
        elif isinstance(event, CredentialChange):
            stored = _insert(state.changes, event, time)
        else:
            stored = _insert(state.signals, event, time)
        if not stored:
            self.stats["duplicates"] += 1
            return []
        self.stats["events"] += 1
        state.max_time = max(state.max_time, time)
        self.states.mark_dirty(item.key)
        findings = self._evaluate(item.key, state)
        _trim(state, state.max_time - self.horizon_ms)
        return findings

    def _evaluate(self, key: str, state: KeyState) -> list[Finding]:
        ctx = KeyContext(
            key, tuple(state.calls), tuple(state.changes), tuple(state.signals), self.config
        )
        findings: list[Finding] = []
        for rule in self.rules:
            if not key.startswith(rule.prefixes):
                continue
            for found in rule.evaluate(ctx):
                findings += publish_keyed_finding(
                    rule.meta.id, key, found, state.emitted, self.config
                )
        for finding in findings:
            self.stats[f"findings:{finding.activity}"] += 1
        return findings


def _insert(items: list[_Item], item: _Item, time: int) -> bool:
    if any(i.id == item.id for i in items):
        return False
    bisect.insort(items, item, key=lambda i: (event_time(i), i.id))
    if len(items) > MAX_PER_KIND:
        del items[0]
    return True


def _trim(state: KeyState, keep: int) -> None:
    if state.calls and state.calls[0].start < keep:
        state.calls = [c for c in state.calls if c.start >= keep]
    if state.changes and state.changes[0].time < keep:
        state.changes = [c for c in state.changes if c.time >= keep]
    if state.signals and state.signals[0].time < keep:
        state.signals = [s for s in state.signals if s.time >= keep]
    if state.emitted:
        state.emitted = [e for e in state.emitted if e.anchor_time >= keep]
