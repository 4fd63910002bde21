"""The wire format of `correlator.events`: canonical events as tagged msgspec JSON.

The normalize stage encodes once; the correlate stage decodes straight into the model structs.
"""

from __future__ import annotations

import msgspec

from correlator.errors import InvalidRecord
from correlator.model import Event

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes | None) -> Event:
    if not data:
        raise InvalidRecord("malformed_event", "empty message on the events topic")
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidRecord("malformed_event", str(exc)) from exc
