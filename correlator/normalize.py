"""The normalize stage's pure core: one raw record in, canonical events (or a reason) out."""

from __future__ import annotations

import msgspec

from correlator.errors import InvalidRecord
from correlator.identity import AliasMap
from correlator.model import CallRecord, Event
from correlator.sources import parse_record


class Normalizer:
    """Parses a record, refuses times from the future, and resolves user aliases.

    ``now_ms`` is passed in by the caller (the runtime's clock), never read here.
    """

    def __init__(self, *, max_future_ms: int, aliases: AliasMap | None = None) -> None:
        self.max_future_ms = max_future_ms
        self.aliases = aliases or AliasMap()

    def normalize(self, record: object, now_ms: int) -> list[Event]:
        events = parse_record(record)
        limit = now_ms + self.max_future_ms
        out: list[Event] = []
        for event in events:
            if event.time > limit:
                raise InvalidRecord(
                    "future_time",
                    f"event time is {(event.time - now_ms) / 3_600_000:.1f} h ahead of the clock",
                    field="time",
                )
            out.append(self._resolve(event))
        return out

    def _resolve(self, event: Event) -> Event:
        if not len(self.aliases):
            return event
        user = self.aliases.resolve(event.user)
        if user == event.user:
            return event
        if isinstance(event, CallRecord):
            return msgspec.structs.replace(event, user=user)
        return msgspec.structs.replace(event, user=user)


def event_order(event: Event) -> tuple[int, int, str]:
    """Deterministic event-time order: ties broken by kind (changes, calls, sign-ins), then id."""
    rank = {"CredentialChange": 0, "CallRecord": 1, "SignIn": 2}[type(event).__name__]
    return event.time, rank, event.id
