"""Per-user state: a bounded baseline profile plus the events still inside the join horizon.

Everything here is plain data (msgspec Structs) so a store can hold it as msgpack bytes. The
structs are mutable on purpose: the engine updates one user's state in place per event and
writes it back once per batch.
"""

from __future__ import annotations

import msgspec

from correlator.model import CallRecord, CredentialChange


class Seen(msgspec.Struct, array_like=True):
    """First and last event time an attribute value was seen in a successful sign-in."""

    first: int
    last: int
    count: int = 1


class GeoPoint(msgspec.Struct, array_like=True):
    time: int
    latitude: float
    longitude: float
    accuracy_km: float
    country: str | None = None


class Profile(msgspec.Struct, omit_defaults=True):
    devices: dict[str, Seen] = msgspec.field(default_factory=dict)
    countries: dict[str, Seen] = msgspec.field(default_factory=dict)
    asns: dict[str, Seen] = msgspec.field(default_factory=dict)
    prefixes: dict[str, Seen] = msgspec.field(default_factory=dict)
    agents: dict[str, Seen] = msgspec.field(default_factory=dict)
    days: dict[int, int] = msgspec.field(default_factory=dict)  # epoch day -> sign-ins
    geo: list[GeoPoint] = msgspec.field(default_factory=list)  # newest last, bounded


class SignInFacts(msgspec.Struct, array_like=True, omit_defaults=True):
    """The compact view of a sign-in kept for the join (a raw sign-in is ~2 KB)."""

    id: str
    time: int
    success: bool
    interactive: bool
    ip: str | None = None
    device_id: str | None = None
    device_name: str | None = None
    device_os: str | None = None
    managed: bool = False
    agent: str | None = None
    user_agent: str | None = None
    app: str | None = None
    country: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_km: float | None = None
    asn: int | None = None
    as_org: str | None = None
    prefix: str | None = None
    anonymizer: tuple[str, ...] = ()
    corporate: bool = False
    internal: bool = False
    intel: tuple[str, ...] = ()
    risk_level: str | None = None
    risk_events: tuple[str, ...] = ()
    error_code: int = 0
    suspect: bool = False  # unfamiliar when it arrived: kept longer, see trim.py


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
