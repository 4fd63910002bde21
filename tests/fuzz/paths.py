"""The three ways a hostile record is handled, each reduced to comparable outcomes.

Stream: ``Normalizer.normalize_bytes`` on a message body, as the normalize stage calls it.
Replay: ``decode_lines`` (what ``sources.files`` uses for JSON files) then ``normalize`` per
record, as ``replay`` does. Alerts: accepted events through an engine primed with a helpdesk
reset for their user, every finding encoded as the correlate stage publishes it.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from correlator.alerts import encode_alert, finding_to_ocsf, render_alert_text
from correlator.config import DetectionConfig
from correlator.engine.engine import Engine
from correlator.errors import InvalidRecord
from correlator.model import CredentialChange, Event, SignIn
from correlator.normalize import Normalizer
from correlator.sources import decode_lines
from correlator.sources.files import csv_records

# One record's outcome: its events, or the reason it was refused.
Outcome = list[Event] | str
NORMALIZER = Normalizer(max_future_ms=0)


def stream(body: bytes, now_ms: int) -> list[Outcome]:
    try:
        outcomes = NORMALIZER.normalize_bytes(body, now_ms)
    except InvalidRecord as exc:
        return [exc.reason]
    out: list[Outcome] = []
    for outcome in outcomes:
        if isinstance(outcome, Exception) and not isinstance(outcome, InvalidRecord):
            raise AssertionError(f"internal error on a record: {outcome!r}") from outcome
        out.append(outcome.reason if isinstance(outcome, InvalidRecord) else outcome)
    return out


def replay(body: bytes, now_ms: int) -> list[Outcome]:
    try:
        records = decode_lines(body)
    except InvalidRecord as exc:  # sources.files reports it in place, as line 1
        return [exc.reason]
    return [_normalized(record, now_ms) for _, record in records]


def replay_csv(body: bytes, now_ms: int) -> list[Outcome]:
    return [_normalized(record, now_ms) for _, record in csv_records(body)]


def _normalized(record: object, now_ms: int) -> Outcome:
    try:
        return NORMALIZER.normalize(record, now_ms)
    except InvalidRecord as exc:
        return exc.reason


def alerts(outcomes: Iterable[Outcome]) -> list[bytes]:
    """Encoded (and rendered) alerts of the accepted events; raises if anything fails."""
    events = [e for outcome in outcomes if not isinstance(outcome, str) for e in outcome]
    engine = Engine(DetectionConfig())
    out: list[bytes] = []
    for event in sorted(_primed(events), key=lambda e: e.time):
        for finding in engine.process(event):
            out.append(encode_alert(finding, product_version="fuzz"))
            render_alert_text(finding_to_ocsf(finding, product_version="fuzz"), color=True)
    return out


def _primed(events: list[Event]) -> list[Event]:
    """The events, after a history that makes them matter: ten days of familiar sign-ins (a
    mature baseline) and a helpdesk password reset five minutes before each user's first event.
    Fuzzed sign-ins from elsewhere then become findings whose text the encoder must carry."""
    first: dict[str, int] = {}
    for event in events:
        first[event.user] = min(first.get(event.user, event.time), event.time)
    history = [
        SignIn(
            id=f"usual:{user}:{day}",
            time=time - day * 86_400_000,
            user=user,
            success=True,
            error_code=0,
            ip="203.0.113.5",
            device_id="usual-device",
            device_os="Windows10",
            browser="Edge 120",
            app="Office 365",
            log_country="GB",
            log_city="London",
        )
        for user, time in first.items()
        for day in range(1, 11)
    ]
    resets = [
        CredentialChange(
            id=f"reset:{user}",
            time=time - 300_000,
            user=user,
            kind="password_reset",
            source="ticket",
            actor="agent@helpdesk.example",
            actor_kind="admin",
            by_other=True,
            ticket_id="INC\x1b[2K0001",
            caller_number="+15550100",
        )
        for user, time in first.items()
    ]
    return [*history, *resets, *events]


def same(stream_outcomes: list[Outcome], replay_outcomes: list[Outcome]) -> bool:
    """Record for record, the same events or the same reason."""
    encode = msgspec.json.encode
    return [o if isinstance(o, str) else encode(o) for o in stream_outcomes] == [
        o if isinstance(o, str) else encode(o) for o in replay_outcomes
    ]
