"""Sign-in bytes into Structs (``fast_signins``) against records decoded to mappings: the one
mapping is fed both ways, and the Structs built from bytes must hold what ``from_mapping``
copies from the decoded record, or the bytes path must decline."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlator.errors import InvalidRecord
from correlator.identity import AliasMap
from correlator.model import Event, SignIn
from correlator.normalize import Normalizer
from correlator.simulate import SimulationConfig, simulate
from correlator.sources import decode_lines, decode_payload, fast_signins, parse_record
from correlator.sources.decode import MAX_MESSAGE
from correlator.sources.fields import MAX_TEXT

from .fixtures import RECORD_FILES


@cache
def tenant() -> Any:
    return simulate(SimulationConfig(users=30, days=3))


def generic(data: bytes) -> list[Event]:
    return [event for record in decode_payload(data) for event in parse_record(record)]


def check(data: bytes) -> list[SignIn] | None:
    """The bytes path's result, after asserting that it equals the mapping path's."""
    fast = fast_signins(data)
    if fast is not None:
        assert fast == generic(data), data[:300]
    return fast


def page(records: list[Any]) -> bytes:
    return orjson.dumps({"@odata.context": "https://graph/$metadata#signIns", "value": records})


@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda p: p.name)
def test_fixture_files_give_the_same_result(path: Any) -> None:
    body = path.read_bytes()
    check(body)
    for line in body.splitlines():
        check(line)
    records = [r for _, r in decode_lines(body) if isinstance(r, dict)]
    for record in records:
        check(orjson.dumps(record))
        check(orjson.dumps(record, option=orjson.OPT_INDENT_2))
    if records:
        check(page(records))


def test_graph_sign_in_samples_take_the_fast_path() -> None:
    docs = [
        p for p in RECORD_FILES if p.parent.name == "microsoft-graph-docs" and "signin-" in p.name
    ]
    taken = sorted(p.name for p in docs if check(p.read_bytes()) is not None)
    # The v1.0 samples have the documentation's trailing commas: the generic path repairs them.
    assert taken == [p.name for p in docs if p.name.startswith("beta_")] != []


def test_simulated_sign_ins_take_the_fast_path_singly_and_as_pages() -> None:
    signins = tenant().signins
    for record in signins:
        assert check(orjson.dumps(record)) is not None
    assert len(check(page(signins)) or []) == len(signins)
    assert check(orjson.dumps({"value": signins[:5]}, option=orjson.OPT_INDENT_2))
    get = orjson.dumps({"@odata.context": "https://graph/$metadata#signIns/$entity", **signins[0]})
    assert check(get)  # a GET response opens with @odata.context, yet is one record


def test_other_formats_decline() -> None:
    sim = tenant()
    for record in sim.audits + sim.tickets + sim.calls:
        assert fast_signins(orjson.dumps(record)) is None
    one = sim.signins[0]
    assert fast_signins(orjson.dumps({**one, "properties": None})) is None  # not graph.signin
    assert fast_signins(orjson.dumps({"records": [one]})) is None  # no envelope keys


def monitor(signin: dict[str, Any], **keys: object) -> dict[str, Any]:
    record: dict[str, Any] = {
        "time": signin.get("createdDateTime"),
        "resourceId": "/tenants/x/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity",
        "category": "SignInLogs",
        "resultType": "0",
        "callerIpAddress": "203.0.113.9",
        "properties": signin,
    }
    record.update(keys)
    return {key: value for key, value in record.items() if value is not None}


def test_azure_monitor_sign_ins_take_the_bytes_path_singly_and_in_envelopes() -> None:
    signins = tenant().signins[:20]
    for signin in signins:
        got = check(orjson.dumps(monitor(signin)))
        assert got is not None and got[0].source_format == "azure-monitor"
    envelope = orjson.dumps({"records": [monitor(s) for s in signins]})
    assert len(check(envelope) or []) == len(signins)
    # Missing createdDateTime, status and address: the envelope's time, resultType and caller
    # address stand in, on both paths.
    bare = {k: v for k, v in signins[0].items() if k not in ("createdDateTime", "ipAddress")}
    envelope_keys = {"resultType": "50126", "time": signins[0]["createdDateTime"]}
    got = check(orjson.dumps(monitor({**bare, "status": {}}, **envelope_keys)))
    assert got is not None and got[0].error_code == 50126 and got[0].ip == "203.0.113.9"
    assert got[0].time == parse_record(signins[0])[0].time
    non_interactive = monitor(signins[1], category="NonInteractiveUserSignInLogs")
    assert check(orjson.dumps(non_interactive)) is not None


def test_azure_monitor_records_the_bytes_path_leaves_to_the_mapping_path() -> None:
    one = tenant().signins[0]
    declined = [
        monitor(one, category="ServicePrincipalSignInLogs"),  # refused with a reason there
        monitor(one, category="AuditLogs"),
        monitor(one, callerIpAddress=None, CallerIPAddress="198.51.100.1"),  # other spelling
        monitor(one, time=None, Time="2026-10-01T00:00:00Z"),
        monitor(one, resultType=None),
        monitor(one, properties=orjson.dumps(one).decode()),  # properties as a JSON string
        monitor(one, type="helpdesk.credential_change"),
        monitor(one, TimeGenerated="2026-10-01T00:00:00Z"),
    ]
    for record in declined:
        assert check(orjson.dumps(record)) is None
    spelled = generic(orjson.dumps(declined[2]))
    assert isinstance(spelled[0], SignIn) and spelled[0].source_format == "azure-monitor"


def test_awkward_bodies_decline_or_agree() -> None:
    one = orjson.dumps(tenant().signins[0])
    bodies = [
        b"\xef\xbb\xbf" + one,
        one + b"\n" + one,  # JSON lines
        one[:-1] + b',"x":"\xff"}',  # invalid UTF-8 where nothing reads
        one[:-1] + b',"x":"\xed\xa0\x80"}',  # an encoded surrogate
        one[:-1] + b',"x":"\\ud800"}',
        one[:-1] + b',"x":"caf\xc3\xa9"}',
        one[:-1] + b',"x":[1,]}',
        one[:-1] + b',"x":NaN}',
        one[:-1] + b',"x":123456789012345678901234567890}',
        one[:-1] + b',"userId":"<USER ID>","userPrincipalName":" x@y "}',  # duplicates
        one[:-1] + b',"\\u0075serPrincipalName":"Esc@Aped"}',
        b'{"value":[' + one + b'],"nextPage":1}',  # not a page: an unknown record
        b'{"value":[' + one + b'],"value":[' + one + b"," + one + b"]}",
        b'{"value":[],"@odata.count":0}',
        b'{"value":[' + one + b',{"id":"x"}]}',
        b'{"value":[' + one + b",[" + one + b"]]}",
        b"",
        b"null",
    ]
    deep = [b'"x":' + b"[" * depth + b"]" * depth for depth in (990, 1023, 1024, 1100, 3000)]
    for body in bodies + [one[:-1] + b"," + nested + b"}" for nested in deep]:
        check(body)


def test_number_literals_parse_alike() -> None:
    geo = {"latitude": "LAT", "longitude": 151.2093}
    record = {**tenant().signins[0], "location": {"geoCoordinates": geo}, "status": "CODE"}
    body = orjson.dumps(record).replace(b'"status":"CODE"', b'"status":{"errorCode":"CODE"}')
    literals = [
        b"45.00000000000000088817841970012523233890533447265625", b"2.2250738585072011e-308",
        b"89.99999999999999999999", b"-0", b"-0.0", b"1E1", b"0.000001e2", b"1e-400",
        b"123456789012345678901234567890e-28", b"9223372036854775807", b"9223372036854775808",
        b"18446744073709551616", b"50126.0", b"5.5",
    ]  # fmt: skip
    for literal in literals:
        check(body.replace(b'"LAT"', literal).replace(b'"CODE"', b"0"))
        check(body.replace(b'"LAT"', b"1.5").replace(b'"CODE"', literal))


def test_known_divergence_numbers_beyond_double_range_in_ignored_fields() -> None:
    # orjson refuses the whole body, msgspec skips the field unread: pinned, so that a change
    # on either side is noticed. Such a number in a field the parser reads declines.
    one = orjson.dumps(tenant().signins[0])
    with pytest.raises(InvalidRecord, match="malformed_json"):
        decode_payload(one[:-1] + b',"x":1e400}')
    assert fast_signins(one[:-1] + b',"x":1e400}') is not None
    assert fast_signins(one[:-1] + b',"isInteractive":1e400}') is None


def test_a_400_digit_latitude_is_a_reject_reason() -> None:
    record = {**tenant().signins[0], "location": {"geoCoordinates": {"latitude": "LAT"}}}
    body = orjson.dumps(record).replace(b'"LAT"', b"1" + b"0" * 400)
    assert fast_signins(body) is None
    with pytest.raises(InvalidRecord, match="malformed_json"):  # the body, as orjson says
        Normalizer(max_future_ms=10**12).normalize_bytes(body, 1_800_000_000_000)
    # A mapping holding such an int (json.loads makes one) has no coordinates, and no crash.
    (signin,) = parse_record(json.loads(body))
    assert isinstance(signin, SignIn) and signin.log_latitude is None


def test_a_failed_sign_in_keeps_its_failure_detail_on_the_bytes_path() -> None:
    detail = "MFA denied; user declined the authentication"
    status = {
        "errorCode": 500121,
        "failureReason": "Authentication failed",
        "additionalDetails": detail,
    }
    record = {**tenant().signins[0], "status": status}
    for body in (orjson.dumps(record), orjson.dumps({"records": [monitor(record)]})):
        got = check(body)
        assert got is not None and got[0].failure_detail == detail
    ok = check(orjson.dumps({**record, "status": {**status, "errorCode": 0}}))
    assert ok is not None and ok[0].failure_detail is None  # a success carries no failure text


def test_a_message_over_the_stream_limit_is_refused_whole() -> None:
    one = orjson.dumps(tenant().signins[0])
    body = b'{"value":[' + b",".join([one] * (MAX_MESSAGE // len(one) + 1)) + b"]}"
    assert len(body) > MAX_MESSAGE
    assert fast_signins(body) is None
    with pytest.raises(InvalidRecord, match="too_large"):
        Normalizer(max_future_ms=10**12).normalize_bytes(body, 1_800_000_000_000)


@pytest.mark.parametrize(
    "path",
    [
        ("userAgent",),
        ("status", "failureReason"),
        ("deviceDetail", "browser"),
        ("location", "city"),
    ],
    ids="/".join,
)
def test_a_text_too_long_is_refused_by_its_path(path: tuple[str, ...]) -> None:
    record = json.loads(json.dumps(tenant().signins[0]))
    put(record, path, "x" * (MAX_TEXT + 1))
    body = orjson.dumps(record)
    assert fast_signins(body) is None  # refused records are named by the generic path
    (outcome,) = Normalizer(max_future_ms=10**12).normalize_bytes(body, 1_800_000_000_000)
    assert isinstance(outcome, InvalidRecord)
    assert (outcome.reason, outcome.field) == ("too_large", ".".join(path))


# --- property tests: mutate one valid sign-in -------------------------------------------------

SPECIAL = [
    "<x>", "<USER ID>", " <x> ", "<>", "  padded ", "\u00a0nbsp\u2003", "", " ", "\t", "50126",
    " 7 ", "1e3", "true", "No", "0", "2026-10-01T09:00:00Z", "1/9/2007 9:41:00 AM",
    "2199-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "{}", '{"errorCode": 5}', "[]", '["x"]',
    "12345678-1234-1234-1234-123456789abc", "203.0.113.5", "::ffff:10.0.0.1", " 10.0.0.1 ",
    "interactiveUser", "Multi-Factor Authentication", "none", "x" * (MAX_TEXT + 1),
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(SPECIAL),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "errorCode", "latitude", "succeeded"]), inner),
    ),
    max_leaves=8,
)
TOP = [
    "id", "createdDateTime", "userPrincipalName", "userId", "status", "ipAddress", "userAgent",
    "appDisplayName", "appId", "clientAppUsed", "authenticationRequirement", "riskState",
    "riskLevelDuringSignIn", "riskEventTypes", "riskEventTypes_v2", "isInteractive",
    "signInEventTypes", "mfaDetail", "authenticationDetails", "autonomousSystemNumber",
    "deviceDetail", "location", "uniqueTokenIdentifier", "originalRequestId", "correlationId",
    "properties", "value", "category", "unknownField",
]  # fmt: skip
NESTED = [
    ("status", "errorCode"), ("status", "failureReason"), ("status", "additionalDetails"),
    ("deviceDetail", "deviceId"),
    ("deviceDetail", "displayName"), ("deviceDetail", "isCompliant"),
    ("deviceDetail", "isManaged"), ("deviceDetail", "trustType"), ("location", "city"),
    ("location", "countryOrRegion"), ("location", "geoCoordinates"),
    ("mfaDetail", "authMethod"), ("deviceDetail", "browser"),
]  # fmt: skip
GEO = ["latitude", "longitude"]
STEP = ["succeeded", "authenticationStepRequirement", "authenticationMethod"]


def mutate(record: dict[str, Any], data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["top", "nested", "geo", "step", "delete"]))
    value = data.draw(json_values)
    if kind == "top":
        record[data.draw(st.sampled_from(TOP))] = value
    elif kind == "nested":
        parent, key = data.draw(st.sampled_from(NESTED))
        record[parent] = _dict(record.get(parent))
        record[parent][key] = value
    elif kind == "geo":
        location = record["location"] = _dict(record.get("location"))
        geo = location["geoCoordinates"] = _dict(location.get("geoCoordinates"))
        geo[data.draw(st.sampled_from(GEO))] = value
    elif kind == "step":
        step = {"succeeded": True, "authenticationStepRequirement": "Multi-Factor Authentication"}
        step[data.draw(st.sampled_from(STEP))] = value
        record["mfaDetail"] = None
        record["authenticationDetails"] = [step]
    else:
        record.pop(data.draw(st.sampled_from(TOP)), None)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


VALUES: list[object] = [
    *SPECIAL, None, True, False, 0, 1, -1, 0.0, -0.0, 1.5, 91.0, 2**63 - 1, 2**63, 2**64,
    -(2**63) - 1, 2**70, 1e308, 1e-320, {}, [], [""], ["none", "x"], {"a": 1}, [{"a": 1}],
]  # fmt: skip


def put(record: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    for key in path[:-1]:
        record[key] = record = _dict(record.get(key))
    record[path[-1]] = value


@pytest.mark.parametrize(
    "path",
    [(k,) for k in TOP] + NESTED + [("location", "geoCoordinates", k) for k in GEO]
    + [("authenticationDetails", k) for k in STEP],
    ids="/".join,
)  # fmt: skip
def test_every_read_field_with_every_awkward_value(path: tuple[str, ...]) -> None:
    for value in VALUES:
        record = json.loads(json.dumps(tenant().signins[3]))
        if path[0] == "authenticationDetails" and len(path) == 2:
            step = {
                "succeeded": True,
                "authenticationStepRequirement": "multi-factor authentication",
            }
            step[path[1]] = value
            record["mfaDetail"], record["authenticationDetails"] = None, [step]
        else:
            put(record, path, value)
        for ascii_only in (True, False):
            check(encode(record, ascii_only))


def encode(value: object, ascii_only: bool) -> bytes:
    # json, not orjson: it writes integers beyond 64 bits, NaN and lone surrogates.
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.integers(0, 40), st.integers(1, 4), st.booleans(), st.booleans(), st.data())
def test_mutated_sign_ins_agree_or_decline(
    which: int, mutations: int, ascii_only: bool, as_page: bool, data: st.DataObject
) -> None:
    record = json.loads(json.dumps(tenant().signins[which]))
    for _ in range(mutations):
        mutate(record, data)
    check(encode({"value": [record, record]} if as_page else record, ascii_only))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.integers(0, 40), st.binary(max_size=8), st.data())
def test_corrupted_bytes_agree_or_decline(which: int, noise: bytes, data: st.DataObject) -> None:
    body = orjson.dumps(tenant().signins[which])
    at = data.draw(st.integers(0, len(body)))
    check(body[:at] + noise + body[at + data.draw(st.integers(0, 4)) :])


# --- the normalizer's bytes entry point ------------------------------------------------------


def test_normalize_bytes_matches_normalize_on_the_whole_tenant() -> None:
    sim, now = tenant(), 1_800_000_000_000
    normalizer = Normalizer(max_future_ms=10**12, aliases=AliasMap({"x@y.test": "z@y.test"}))
    for record in sim.signins + sim.audits + sim.tickets + sim.calls:
        try:
            expected: object = [normalizer.normalize(record, now)]
        except InvalidRecord as error:
            expected = error.reason
        outcomes = normalizer.normalize_bytes(orjson.dumps(record), now)
        got = outcomes[0].reason if isinstance(outcomes[0], InvalidRecord) else outcomes
        assert got == expected


def test_normalize_bytes_applies_future_time_and_aliases_per_record() -> None:
    good, late = tenant().signins[0], dict(tenant().signins[1])
    late["createdDateTime"] = "2030-01-01T00:00:00Z"
    user = good["userPrincipalName"].lower()
    normalizer = Normalizer(max_future_ms=3_600_000, aliases=AliasMap({user: "canon@corp.test"}))
    now = generic(orjson.dumps(good))[0].time
    assert fast_signins(page([good, late, good])) is not None  # the fast path parses it all
    outcomes = normalizer.normalize_bytes(page([good, late, good]), now)
    assert isinstance(outcomes[1], InvalidRecord) and outcomes[1].reason == "future_time"
    for outcome in (outcomes[0], outcomes[2]):
        assert isinstance(outcome, list) and outcome[0].user == "canon@corp.test"
    assert normalizer.normalize_bytes(orjson.dumps(good), now)[0][0].user == "canon@corp.test"  # type: ignore[index]
    with pytest.raises(InvalidRecord, match="malformed_json"):
        normalizer.normalize_bytes(b"{not json", now)


_SPACES = st.sampled_from([b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b""])
_HEADS = st.sampled_from(
    [b"{", b'"', b"[", b"records", b'records"', b'"records', b"@odata", b'value"', b"value", b"x"]
)


@given(st.lists(st.one_of(_SPACES, _HEADS), max_size=8), st.binary(max_size=12))
def test_the_first_key_test_classifies_as_a_regex_would(parts: list[bytes], tail: bytes) -> None:
    import re

    from correlator.sources.signin_bytes import _first_key

    body = b"".join(parts) + tail
    key = _first_key(body)
    envelope = re.compile(rb'\s*\{\s*"records"').match(body) is not None
    page = re.compile(rb'\s*\{\s*"(?:@|value")').match(body) is not None
    assert key.startswith(b'records"') == envelope
    assert key.startswith((b"@", b'value"')) == page
