"""Hostile inputs: the crafted records that once stopped or bent the job, every fixture file,
and mutators that bend them further (values swapped for odd types, keys dropped, bytes cut or
inserted). Shared by the fuzz test (driven by hypothesis) and benchmarks/fuzz.py (figures)."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import orjson

_dumps = msgspec.json.encode  # unlike orjson, it writes integers beyond 64 bits
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW_MS = 1_800_000_000_000  # 2027-01-15: after every fixture, so nothing is "in the future"


def _signin(**extra: object) -> dict[str, object]:
    return {
        "id": "x",
        "createdDateTime": "2026-10-06T09:00:00Z",
        "userPrincipalName": "a@b.example",
        "status": {"errorCode": 0},
        "isInteractive": True,
        "ipAddress": "198.51.100.77",
        "deviceDetail": {"browser": "Chrome 121", "operatingSystem": "Linux"},
        "location": {"city": "Lagos", "countryOrRegion": "NG"},
        **extra,
    }


CRAFTED: list[bytes] = [
    # A 309-digit latitude: OverflowError in float().
    b'{"id":"x","createdDateTime":"2026-10-06T09:00:00Z","userPrincipalName":"a@b.example",'
    b'"status":{"errorCode":0},"location":{"geoCoordinates":{"latitude":1' + b"0" * 400 + b"}}}",
    # Unterminated strings of escaped quotes: quadratic in the old trailing-comma regex.
    b'{"a":"' + b'\\"' * 50_000,
    b'{"value":[{"id":"a",},],"x":"' + b'\\"' * 20_000,
    # A truncated Azure Monitor record of about 60 KB.
    _dumps({"records": [{"category": "SignInLogs", "properties": _signin(x="y" * 60_000)}]})[:-7],
    # Terminal escapes, bidi overrides and NULs in every text field a person reads.
    _dumps(
        _signin(
            userAgent="\x1b[1A\x1b[2K\u202eevil\x00",
            appDisplayName="\x1b]0;title\x07",
            location={"city": "\r\nLagos\x1b[2K", "countryOrRegion": "NG"},
        )
    ),
    _dumps(
        {
            "type": "helpdesk.credential_change",
            "id": "T-1\x1b[2K",
            "time": "2026-10-06T08:55:00Z",
            "target_user": "a@b.example",
            "action": "password_reset",
            "ticket_id": "\x1b[1A\x1b[2KINC",
        }
    ),
    # Huge and odd numbers, empty and padded users, placeholders.
    _dumps(_signin(userPrincipalName="", userId=" ")),
    _dumps(_signin(userPrincipalName="<USER ID>")),
    _dumps(_signin(id=2**63, status={"errorCode": 2**64})),
    b'{"id":"x","createdDateTime":1e400,"userPrincipalName":"a@b.example"}',
    _dumps(_signin(userPrincipalName="u" * 70_000 + "@b.example")),
    _dumps(_signin(userAgent="A" * 60_000)),
    # Deep nesting, empty pages, the query-API shape with a ragged row.
    b"[" * 5000 + b"]" * 5000,
    b'{"value":' + b'{"value":' * 300 + b"[]" + b"}" * 301,
    b'{"value":[]}',
    b'{"records":[]}',
    _dumps(
        {
            "tables": [
                {
                    "columns": [{"name": "TimeGenerated"}, {"name": "UserPrincipalName"}],
                    "rows": [["2026-10-06T09:00:00Z", "a@b.example"], ["x"], "row"],
                }
            ]
        }
    ),
    # Audits: createdDateTime only, an ignored activity, a failed one.
    _dumps(
        {
            "createdDateTime": "2026-10-06T08:50:00Z",
            "activityDisplayName": "Reset user password",
            "targetResources": [{"type": "User", "userPrincipalName": "a@b.example"}],
            "initiatedBy": {"user": {"userPrincipalName": "agent@b.example"}},
        }
    ),
    _dumps({"activityDisplayName": "Add user", "activityDateTime": "2026-10-06T08:00:00Z"}),
    b"\xef\xbb\xbf\xff\xfe{}",
    b"",
    b" \n ",
]


def fixture_bodies() -> list[bytes]:
    files = sorted(
        # .log: the VPN gateways' syslog, read by the same decode as JSON in both paths.
        p
        for p in FIXTURES.rglob("*")
        if p.suffix in (".json", ".jsonl", ".log") and p.is_file()
    )
    return [p.read_bytes() for p in files]


def csv_bodies() -> list[bytes]:
    return [p.read_bytes() for p in sorted(FIXTURES.rglob("*.csv"))]


SEEDS: list[bytes] = CRAFTED + fixture_bodies()
ODD_VALUES: list[object] = [
    None, True, 0, -1, 2**63, -(2**64), 1.5e308, -0.0, "", " ", "<null>", "\x1b[2K", "\u202e",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1e999", "x" * 70_000, [], {}, [None],
    {"": ""}, "[1,2", '{"a":', "NaN", "-1", "2026-10-06T09:00:00+25:00",
]  # fmt: skip


def mutate(body: bytes, rng: random.Random) -> bytes:
    """One to three mutations of ``body``: structural when it parses, else on the bytes."""
    for _ in range(rng.randint(1, 3)):
        body = _mutate_once(body, rng)
    return body


def _mutate_once(body: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.7:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict | list) and doc:
            _mutate_doc(doc, rng)
            return _dumps(doc)
    return _mutate_bytes(body, rng)


def _mutate_doc(doc: object, rng: random.Random) -> None:
    """Walk to a random container and replace, delete or duplicate one of its members."""
    for _ in range(rng.randint(0, 6)):
        children = _children(doc)
        if not children:
            break
        key, child = rng.choice(children)
        if not isinstance(child, dict | list) or not _children(child) or rng.random() < 0.3:
            break
        doc = child
    children = _children(doc)
    if not children:
        return
    key, _ = rng.choice(children)
    action = rng.random()
    if action < 0.6:
        doc[key] = rng.choice(ODD_VALUES)  # type: ignore[index]
    elif action < 0.8 and isinstance(doc, dict):
        del doc[key]
    elif isinstance(doc, dict):
        doc[str(key).upper()] = doc[key]  # exporters that change key case
    else:
        doc.append(doc[key])  # type: ignore[attr-defined, index]


def _children(doc: object) -> list[tuple[object, object]]:
    if isinstance(doc, dict):
        return list(doc.items())
    if isinstance(doc, list):
        return list(enumerate(doc))
    return []


def _mutate_bytes(body: bytes, rng: random.Random) -> bytes:
    if not body:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    at = rng.randrange(len(body))
    choice = rng.random()
    if choice < 0.3:
        return body[:at]  # truncated
    if choice < 0.6:
        noise = rng.choice([b",", b"}", b"]", b'"', b"\\", b"\n", b"\x00", b"\xff", b"\x1b[2K"])
        return body[:at] + noise + body[at:]
    if choice < 0.8:
        return body[:at] + bytes([rng.randrange(256)]) + body[at + 1 :]
    return body[:at] + body[at : at + 200] * rng.randint(2, 50) + body[at:]  # repeated span
