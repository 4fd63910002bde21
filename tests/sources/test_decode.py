"""decode_payload / decode_lines: bodies to records, with line numbers for file replay."""

from __future__ import annotations

import orjson
import pytest

from correlator.errors import InvalidRecord
from correlator.sources import decode_lines, decode_payload

from .fixtures import FIXTURES

SIGNIN = {"id": "s1", "createdDateTime": "2024-05-06T07:08:09Z", "userPrincipalName": "a@b.example"}


@pytest.mark.parametrize(
    ("body", "count"),
    [
        (orjson.dumps(SIGNIN), 1),  # one object
        (orjson.dumps([SIGNIN, SIGNIN]), 2),  # an array
        (orjson.dumps({"@odata.context": "x", "@odata.nextLink": "y", "value": [SIGNIN]}), 1),
        (orjson.dumps({"records": [SIGNIN, SIGNIN, SIGNIN]}), 3),  # Event Hubs envelope
        (orjson.dumps({"value": []}), 0),  # an empty page is no records, not an error
        (b"\xef\xbb\xbf" + orjson.dumps(SIGNIN), 1),  # BOM
        (b'{"value": [{"id": "a",},],}', 1),  # Graph docs trailing commas
        (orjson.dumps(SIGNIN) + b"\n" + orjson.dumps({"records": [SIGNIN]}) + b"\r\n", 2),
        (orjson.dumps([{"records": [SIGNIN, SIGNIN]}]), 2),  # a list of envelopes
    ],
)
def test_shapes(body: bytes, count: int) -> None:
    items = decode_lines(body)
    assert len(items) == count
    assert all(isinstance(record, dict) for _, record in items)


def test_a_record_with_a_value_field_is_not_a_page() -> None:
    record = {"value": [1, 2], "category": "x"}
    assert decode_payload(orjson.dumps(record)) == [record]


def test_trailing_comma_inside_a_string_is_kept() -> None:
    body = b'{"value": [{"id": "a,}", "n": [1,],}]}'
    assert decode_payload(body) == [{"id": "a,}", "n": [1]}]


def test_line_numbers_of_json_lines_and_pretty_pages() -> None:
    lines = [
        line
        for line, _ in decode_lines(
            (FIXTURES / "quirks/json-lines-with-broken-line.jsonl").read_bytes()
        )
    ]
    assert lines == [1, 2, 4, 4, 5, 6, 7]  # blank line 3 skipped; line 4 is an envelope of two
    page = (FIXTURES / "quirks/graph-directory-audit-page.json").read_bytes()
    starts = [line for line, _ in decode_lines(page)]
    assert starts[0] == 4 and starts == sorted(starts) and len(set(starts)) == len(starts)


def test_a_broken_line_is_returned_in_place_and_reraised_by_parse_record() -> None:
    from correlator.sources import parse_record

    items = decode_payload(b'{"a": 1}\n{"b": \n')
    assert isinstance(items[1], InvalidRecord)
    with pytest.raises(InvalidRecord) as caught:
        parse_record(items[1])
    assert caught.value.reason == "malformed_json"


@pytest.mark.parametrize(
    "body",
    [b"", b"   \n", b"not json", b"{\n  broken: 1,\n}\n", b"\xff\xfe{}", b"[" * 5000],
)
def test_nothing_parses(body: bytes) -> None:
    with pytest.raises(InvalidRecord) as caught:
        decode_payload(body)
    assert caught.value.reason == "malformed_json"


def test_a_malformed_pretty_document_is_one_error_not_one_per_line() -> None:
    assert len(decode_lines(b'{\n  "a": 1\n  "b": 2\n}\n')) == 1


def test_not_bytes() -> None:
    with pytest.raises(InvalidRecord):
        decode_lines("text")  # type: ignore[arg-type]


def test_a_message_over_the_limit_is_refused_before_parsing() -> None:
    from correlator.normalize import Normalizer
    from correlator.sources.decode import MAX_MESSAGE

    # A valid page just over the limit: refused by its size, whatever it holds.
    page = orjson.dumps({"value": [SIGNIN | {"x": "y" * MAX_MESSAGE}]})
    with pytest.raises(InvalidRecord) as caught:
        decode_payload(page)
    assert caught.value.reason == "too_large"
    assert f"message of {len(page)} bytes exceeds {MAX_MESSAGE}" in caught.value.detail
    with pytest.raises(InvalidRecord) as caught:  # the stream's entry, fast path included
        Normalizer(max_future_ms=0).normalize_bytes(page, 4_000_000_000_000)
    assert caught.value.reason == "too_large"
    assert decode_payload(page, limit=len(page))  # the same bytes, under a larger limit
