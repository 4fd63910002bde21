"""Per-user state: a bounded baseline profile plus the events still inside the join horizon.

Everything here is plain data (msgspec Structs) so a store can hold it as msgpack bytes. The
structs are mutable on purpose: the engine updates one user's state in place per event and
writes it back once per batch.
"""

from __future__ import annotations

import msgspec

from correlator.context import GeoPoint as GeoPoint
from correlator.context import Profile as Profile
from correlator.context import Seen as Seen
from correlator.context import SignInFacts as SignInFacts
from correlator.model import CallRecord, CredentialChange


class Emitted(msgspec.Struct, array_like=True):
    """What was last published for one finding uid, so only real changes are re-published."""

    uid: str
    revision: int
    fingerprint: int
    anchor_id: str
    anchor_time: int
    closed: bool = False


class UserState(msgspec.Struct, omit_defaults=True):
    profile: Profile = msgspec.field(default_factory=Profile)
    recent: list[SignInFacts] = msgspec.field(default_factory=list)  # sorted by time
    changes: list[CredentialChange] = msgspec.field(default_factory=list)  # sorted by time
    calls: list[CallRecord] = msgspec.field(default_factory=list)
    emitted: list[Emitted] = msgspec.field(default_factory=list)
    seen_ids: dict[int, int] = msgspec.field(default_factory=dict)  # id hash -> event time
    user_id: str | None = None
    max_time: int = 0  # newest sign-in time of this user: the user's watermark derives from it


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(UserState)


def encode_state(state: UserState) -> bytes:
    return _encoder.encode(state)


def decode_state(data: bytes) -> UserState:
    return _decoder.decode(data)
