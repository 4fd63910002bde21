"""Whatever arrives, parse_record and decode_payload raise InvalidRecord or nothing."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlator.errors import InvalidRecord
from correlator.model import CallRecord, CredentialChange, SignIn
from correlator.sources import REASONS, decode_payload, parse_record

from .fixtures import FIXTURES

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(
        ["<USER ID>", "0001-01-01T00:00:00Z", "1/9/2007 9:41:00 AM", "{", "[", "{}", "[]"]
    ),
)
KEYS = [
    "time", "category", "Category", "properties", "createdDateTime", "userPrincipalName", "userId",
    "status", "errorCode", "resultType", "activityDisplayName", "activityDateTime", "initiatedBy",
    "targetResources", "user", "app", "modifiedProperties", "displayName", "oldValue", "newValue",
    "type", "startDateTime", "callType", "callerNumber", "organizer", "participants", "sessions",
    "caller", "callee", "identity", "TimeGenerated", "Type", "value", "records", "id",
    "deviceDetail", "location", "geoCoordinates", "latitude", "target_user", "action", "agent",
]  # fmt: skip
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=6),
    ),
    max_leaves=40,
)
CATEGORIES = [
    "SignInLogs",
    "AuditLogs",
    "Audit",
    "NonInteractiveUserSignInLogs",
    "ADFSSignInLogs",
    "Policy",
]


def _check(record: object) -> None:
    try:
        events = parse_record(record)
    except InvalidRecord as error:
        assert error.reason in REASONS
    else:
        assert events and all(isinstance(e, SignIn | CredentialChange | CallRecord) for e in events)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(json_like)
def test_parse_record_on_arbitrary_values(value: object) -> None:
    _check(value)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(CATEGORIES),
    st.dictionaries(st.sampled_from(KEYS), json_like, max_size=8),
    json_like,
)
def test_parse_record_on_envelopes_with_garbage(
    category: str, properties: dict[str, object], time: object
) -> None:
    _check({"category": category, "time": time, "properties": properties})
    _check({"type": "helpdesk.credential_change", **properties})
    _check({"startDateTime": "2024-01-01T00:00:00Z", "type": "groupCall", **properties})
    _check({"activityDisplayName": "Update user", "activityDateTime": time, **properties})


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(p for p in FIXTURES.rglob("*.json*"))), st.data())
def test_mutated_fixture_records(path: object, data: st.DataObject) -> None:
    # Replace one top-level or properties-level value of a real record with garbage.
    for record in decode_payload(path.read_bytes())[:3]:  # type: ignore[attr-defined]
        if not isinstance(record, dict) or not record:
            continue
        target = record.get("properties") if isinstance(record.get("properties"), dict) else record
        key = data.draw(st.sampled_from(sorted(target)))
        target[key] = data.draw(json_like)
        _check(record)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_decode_payload_on_arbitrary_bytes(body: bytes) -> None:
    try:
        items = decode_payload(body)
    except InvalidRecord as error:
        assert error.reason in REASONS
    else:
        for item in items:
            _check(item)


@settings(max_examples=200)
@given(json_like)
def test_decode_payload_on_json_documents(value: object) -> None:
    try:
        body = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return  # floats like nan are not JSON
    try:
        decode_payload(body)
    except InvalidRecord as error:
        assert error.reason in REASONS


def test_deep_nesting_and_huge_strings() -> None:
    deep: object = {}
    for _ in range(10_000):
        deep = {"properties": deep}
    _check({"category": "SignInLogs", "time": "2024-01-01T00:00:00Z", "properties": deep})
    huge = "x" * (1 << 20)
    for record in (
        {
            "createdDateTime": "2024-01-01T00:00:00Z",
            "userPrincipalName": huge,
            "status": {"errorCode": 0},
        },
        {"createdDateTime": huge, "userPrincipalName": "a@b.example"},
        {"category": "SignInLogs", "properties": "{" + huge},
    ):
        _check(record)
    body = b"[" * 100_000 + b"]" * 100_000
    try:
        decode_payload(body)
    except InvalidRecord as error:
        assert error.reason == "malformed_json"
