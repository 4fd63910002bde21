"""The wire format of `correlator.events`: canonical events as tagged msgspec JSON.

The normalize stage encodes once; the correlate stage decodes straight into the model structs.
"""

from __future__ import annotations

import msgspec

from correlator.errors import InvalidRecord
from correlator.keyed import KeyedEvent
from correlator.model import Event

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
        return _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidRecord("malformed_event", str(exc)) from exc
