"""The keyed engine: what the user stage forwarded, per phone number, agent or tenant.

Like the user engine it is pure and driven by event time: each key stores its calls, changes
and callee signals (deduplicated by id), every rule re-derives its findings from the stored
set, and a key's own watermark (newest event time minus the lateness) decides what is
forgotten. The result therefore does not depend on the order the key's events arrive in.
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

    def process(self, item: KeyedEvent) -> list[Finding]:
        state = self.states.get(item.key)
        event, time = item.event, event_time(item.event)
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
        _trim(state, state.max_time - self.config.lateness_ms - self.config.keyed_retention_ms)
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
