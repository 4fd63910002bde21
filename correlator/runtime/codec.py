"""The wire format of `correlator.events`: canonical events as tagged msgspec JSON.

The normalize stage encodes once; the correlate stage decodes straight into the model structs.
"""

from __future__ import annotations

import msgspec

from correlator.errors import InvalidRecord
from correlator.keyed import KeyedEvent
from correlator.model import Event
from correlator.sources.fields import MAX_USER

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


_keyed_decoder = msgspec.json.Decoder(KeyedEvent)


def encode_keyed(item: KeyedEvent) -> bytes:
    return _encoder.encode(item)


def decode_keyed(data: bytes | None) -> KeyedEvent:
    if not data:
        raise InvalidRecord("malformed_event", "empty message on the keyed topic")
    try:
        return _keyed_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidRecord("malformed_event", str(exc)) from exc


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes | None) -> Event:
    if not data:
        raise InvalidRecord("malformed_event", "empty message on the events topic")
    try:
        event = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidRecord("malformed_event", str(exc)[:200]) from exc
    # The topic is writable by anyone with access: an event the normalize stage would never
    # emit (no user, a user no store accepts as a key) is this message's defect, not a crash.
    user = event.user.strip()
    if not user or user != event.user or len(user) > MAX_USER:
        raise InvalidRecord("malformed_event", "user is empty, padded or too long", field="user")
    return event
