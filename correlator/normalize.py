"""The normalize stage's pure core: one raw record in, canonical events (or a reason) out."""

from __future__ import annotations

import msgspec

from correlator.errors import InvalidRecord
from correlator.identity import AliasMap
from correlator.model import Event
from correlator.sources import decode_payload, fast_signins, parse_record
from correlator.sources.fields import MAX_USER
from correlator.sources.reasons import TOO_LARGE

# One record's outcome: its events, or the error that refused it (``InvalidRecord``, or any
# other exception for a bug, which the caller reports as ``internal_error``).
Outcome = list[Event] | Exception


class Normalizer:
    """Parses a record, refuses times from the future, and resolves user aliases.

    ``now_ms`` is passed in by the caller (the runtime's clock), never read here.
    """

    def __init__(self, *, max_future_ms: int, aliases: AliasMap | None = None) -> None:
        self.max_future_ms = max_future_ms
        self.aliases = aliases or AliasMap()

    def normalize_bytes(self, data: bytes, now_ms: int) -> list[Outcome]:
        """The outcome of each record of one message body, in ``decode_payload`` order.

        Graph sign-ins take the one-step fast path; any other body, or one with a refused
        record, is decoded and normalised record by record. Raises ``InvalidRecord`` when the
        body as a whole is unusable (not JSON, empty), as ``decode_payload`` does.
        """
        try:
            signins = fast_signins(data)
        except Exception:  # noqa: BLE001 - a fast-path defect must not stop the stream:
            signins = None  # the generic path below isolates and names each record's fault
        if signins is not None:
            try:
                return [self._accept([signin], now_ms) for signin in signins]
            except Exception:  # noqa: BLE001 - redone below, where each record is isolated
                pass  # (a time in the future): the generic path reports it per record
        return [self._outcome(record, now_ms) for record in decode_payload(data)]

    def _outcome(self, record: object, now_ms: int) -> Outcome:
        try:
            return self.normalize(record, now_ms)
        except Exception as exc:  # noqa: BLE001 - one bad record must not sink its neighbours
            return exc

    def normalize(self, record: object, now_ms: int) -> list[Event]:
        return self._accept(parse_record(record), now_ms)

    def _accept(self, events: list[Event], now_ms: int) -> list[Event]:
        """Refuses times from the future and resolves aliases."""
        limit = now_ms + self.max_future_ms
        out: list[Event] = []
        for event in events:
            if event.time > limit:
                raise InvalidRecord(
                    "future_time",
                    f"event time is {(event.time - now_ms) / 3_600_000:.1f} h ahead of the clock",
                    field="time",
                )
            if len(event.user) > MAX_USER:  # a state key and alert text: bounded for both
                raise InvalidRecord(
                    TOO_LARGE, f"user of {len(event.user)} characters", field="user"
                )
            out.append(self._resolve(event))
        return out

    def _resolve(self, event: Event) -> Event:
        if not len(self.aliases):
            return event
        user = self.aliases.resolve(event.user)
        if user == event.user:
            return event
        return msgspec.structs.replace(event, user=user)


def event_order(event: Event) -> tuple[int, int, str]:
    """Deterministic event-time order: ties broken by kind (changes, calls, sign-ins), then id."""
    rank = {"CredentialChange": 0, "CallRecord": 1, "SignIn": 2, "AppConsent": 3}[
        type(event).__name__
    ]
    return event.time, rank, event.id
