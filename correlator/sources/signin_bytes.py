"""Message bytes of sign-ins straight to ``SignIn``: the stream's hot path.

The generic path (``decode_payload``, ``sniff``, ``parse_record``) builds ~100 Python objects
per 4 KB sign-in, then reads 30 of them. Here msgspec decodes the bytes into the Structs of
``signin_structs``, skipping every other key in C, and ``signin_from_struct`` (the one mapping)
builds the ``SignIn``. Two shapes take this path: Graph sign-ins (one, or a page) and Azure
Monitor sign-in records (one, or a ``records`` envelope).

``fast_signins`` answers for a body only when the generic path would give the same answer,
and otherwise returns ``None`` (take the generic path): another format, a value a Struct type
does not admit, a refused record (whose reason the generic path names per record), an
envelope key in another case. The checks below are ``sniff``'s own rules on the decoded keys.

The Structs live in ``signin_structs`` (msgspec classes stay Python); this module's functions
are compiled with the rest of the hot path (``setup.py``).

Known divergence (pinned by a test): msgspec skips ignored keys without converting their
numbers, so a number beyond the double range (``1e400``) in a key nobody reads is accepted
here, while orjson refuses the whole body (``malformed_json``). Searching the bytes for such
numbers would cost more than the whole parse.
"""

from __future__ import annotations

import msgspec

from correlator.errors import InvalidRecord
from correlator.model import SignIn
from correlator.sources.decode import MAX_MESSAGE
from correlator.sources.graph_signin import signin_from_struct
from correlator.sources.signin_structs import GraphPage, GraphSignIn, MonitorEnvelope, MonitorSignIn
from correlator.sources.sniff import USER_SIGNIN_CATEGORIES

_BOM = b"\xef\xbb\xbf"
_SPACE = b" \t\n\r\x0b\x0c"  # what a regex's \s matches in bytes
_OPEN_BRACE, _QUOTE = 0x7B, 0x22
_MONITOR = "azure-monitor"


_GRAPH = msgspec.json.Decoder(GraphSignIn)
_PAGE = msgspec.json.Decoder(GraphPage)
_ONE_MONITOR = msgspec.json.Decoder(MonitorSignIn)
_ENVELOPE = msgspec.json.Decoder(MonitorEnvelope)


class _Decline(Exception):  # internal: this body is for the generic path
    pass


def fast_signins(data: bytes) -> list[SignIn] | None:
    """The sign-ins of a body of Graph or Azure Monitor sign-ins, or ``None`` when the generic
    path must decide (any other format, any value it would refuse, any doubt)."""
    body = _checked_body(data)
    if body is None:
        return None
    try:
        return _signins(body) or None
    except (msgspec.DecodeError, InvalidRecord, _Decline, RecursionError):
        # (ValidationError is a DecodeError.) RecursionError: msgspec's nesting limit, the
        # interpreter's <1000 frames, is stricter than orjson's 1024: those bodies fail there too.
        return None


def _signins(body: bytes) -> list[SignIn]:
    key = _first_key(body)
    if key.startswith(b'records"'):
        return [_monitor(record) for record in _ENVELOPE.decode(body).records]
    # A Graph page starts with its "value" or an "@odata.*" key (so does a GET of one sign-in).
    if key.startswith((b"@", b'value"')):
        try:
            return [_graph(record) for record in _PAGE.decode(body).value]
        except msgspec.ValidationError:
            pass  # a single record opening with "@odata.context", as a GET returns it
    record = _GRAPH.decode(body)
    if record.properties:
        return [_monitor(_ONE_MONITOR.decode(body))]
    return [_graph(record)]


def _first_key(body: bytes) -> bytes:
    """What follows the opening quote of an object's first key (a few bytes), or ``b""`` when
    the body does not open an object with a key. Two byte tests per record, where a regex
    match costs more than the test it makes."""
    end = len(body)
    at = _skip_space(body, 0, end)
    if at >= end or body[at] != _OPEN_BRACE:
        return b""
    at = _skip_space(body, at + 1, end)
    if at >= end or body[at] != _QUOTE:
        return b""
    return body[at + 1 : at + 9]


def _skip_space(body: bytes, at: int, end: int) -> int:
    while at < end and body[at] in _SPACE:
        at += 1
    return at


def _graph(r: GraphSignIn) -> SignIn:
    # sniff(): createdDateTime, no properties, and one of the user or status keys. A null in
    # any of them is left to the generic path, which tells null from absent.
    if r.properties or r.created_date_time is None:
        raise _Decline
    if r.user_principal_name is None and r.user_id is None and r.status is None:
        raise _Decline
    _refuse_what_orjson_refuses(r)
    return signin_from_struct(r)


def _monitor(r: MonitorSignIn) -> SignIn:
    # sniff() and monitor_signin() read the envelope keys in any case: when one is missing
    # under Microsoft's spelling, another spelling may hold it, so the generic path decides.
    if r.properties is None or r.time is None or r.caller_ip_address is None:
        raise _Decline
    if r.category is None or r.category.lower() not in USER_SIGNIN_CATEGORIES:
        raise _Decline  # workload sign-ins and other categories: refused there, with a reason
    if r.result_type is None or r.kind or r.start or r.table_time or r.table_source:
        raise _Decline
    _refuse_what_orjson_refuses(r.properties)
    return signin_from_struct(
        r.properties,
        source_format=_MONITOR,
        category=r.category,
        fallback_time=r.time,
        fallback_ip=r.caller_ip_address,
        fallback_result=r.result_type,
    )


def _refuse_what_orjson_refuses(r: GraphSignIn) -> None:
    """Decline a coordinate written as an integer beyond the double range (a 400-digit
    latitude): msgspec decodes it as an int, orjson refuses the whole body as malformed."""
    geo = r.location.geo_coordinates if r.location is not None else None
    if geo is not None and (_beyond_double(geo.latitude) or _beyond_double(geo.longitude)):
        raise _Decline


def _beyond_double(value: object) -> bool:
    return type(value) is int and value.bit_length() > 1024


def _checked_body(data: bytes) -> bytes | None:
    """The body msgspec may decode, or None where it would accept what orjson refuses."""
    if type(data) is not bytes or len(data) > MAX_MESSAGE:
        return None
    data = data[3:] if data.startswith(_BOM) else data
    # msgspec does not validate UTF-8 inside the fields it skips; orjson refuses the body.
    if not data.isascii():
        try:
            data.decode()
        except UnicodeDecodeError:
            return None
    return data
