"""Bytes to records: one message or file body becomes a list of JSON objects.

Accepted bodies: one JSON object; a JSON array; a Graph page ``{"value": [...]}`` (with any
``@odata.*`` keys); an Azure Monitor / Event Hubs envelope ``{"records": [...]}``; JSON lines
(each line may itself be a page or envelope, as blobs and Event Hub captures are). A UTF-8 BOM
and the trailing commas of the Graph documentation examples are tolerated. A body that is not
JSON but starts like syslog (VPN gateways) gives one ``SyslogLine`` per line.
"""

from __future__ import annotations

import re

import orjson

from correlator.errors import InvalidRecord
from correlator.sources.reasons import MALFORMED_JSON, TOO_LARGE
from correlator.sources.syslog import looks_like_syslog, syslog_lines

MAX_PAYLOAD = 256 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_MAX_SPLIT_DEPTH = 2  # a list of envelopes, or envelopes on JSON lines; deeper is data
_TRAILING_COMMA = re.compile(rb'"(?:[^"\\]|\\.)*"|,(\s*[}\]])')
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}\n]')
_FAILED = object()

Decoded = list[tuple[int, object]]  # (1-based line, record or InvalidRecord)


def decode_payload(data: bytes) -> list[object]:
    """The records of one body. Lines that fail to parse are returned as ``InvalidRecord``
    instances in place (``parse_record`` re-raises them), so per-record counts still add up;
    when nothing parses at all, ``InvalidRecord('malformed_json')`` is raised."""
    items = decode_lines(data, lines=False)
    if not items:
        raise InvalidRecord(MALFORMED_JSON, "empty payload")
    if all(isinstance(item, InvalidRecord) for _, item in items):
        first = items[0][1]
        raise first if isinstance(first, InvalidRecord) else InvalidRecord(MALFORMED_JSON)
    return [item for _, item in items]


def decode_lines(data: bytes, *, lines: bool = True) -> Decoded:
    """Records with the line they start on, for ``file:line`` in reject reports.

    ``lines=False`` skips locating records inside one multi-line document (every record gets
    line 1): the stream has offsets for that, and the scan costs more than the decode.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidRecord(MALFORMED_JSON, f"expected bytes, got {type(data).__name__}")
    body = bytes(data)
    if len(body) > MAX_PAYLOAD:
        raise InvalidRecord(TOO_LARGE, f"payload of {len(body)} bytes")
    if body.startswith(_BOM):
        body = body[3:]
    if not body.strip():
        return []
    if looks_like_syslog(body):
        return syslog_lines(body)
    doc = _loads(body)
    if doc is _FAILED:
        doc = _loads(_TRAILING_COMMA.sub(_keep_string_or_bracket, body))
    if doc is not _FAILED:
        records = _split(doc, 0)
        if not lines or body.count(b"\n", 0, len(body) - 1) == 0:
            return [(1, record) for record in records]
        return _with_lines(body, records)
    if _first_line_parses(body):
        return _json_lines(body)
    return [(1, InvalidRecord(MALFORMED_JSON, "not JSON, a JSON array or JSON lines"))]


def _loads(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _FAILED


def _keep_string_or_bracket(match: re.Match[bytes]) -> bytes:
    closing = match.group(1)
    return match.group(0) if closing is None else closing


def _split(doc: object, depth: int) -> list[object]:
    if depth > _MAX_SPLIT_DEPTH:
        return [doc]
    if isinstance(doc, list):
        return [record for item in doc for record in _split(item, depth + 1)]
    if isinstance(doc, dict):
        for key in ("value", "records"):
            inner = doc.get(key)
            if isinstance(inner, list) and all(
                name == key or (isinstance(name, str) and name.startswith("@")) for name in doc
            ):
                return [record for item in inner for record in _split(item, depth + 1)]
    return [doc]


def _with_lines(body: bytes, records: list[object]) -> Decoded:
    """Line numbers of top-level records of an array, page or envelope, else line 1."""
    if len(records) > 1 and all(isinstance(r, dict) for r in records):
        lines = _record_start_lines(body)
        if len(lines) == len(records):
            return list(zip(lines, records, strict=True))
    return [(1, record) for record in records]


def _record_start_lines(body: bytes) -> list[int]:
    first = body.lstrip()[:1]
    record_depth = 1 if first == b"[" else 2
    depth, line, starts = 0, 1, []
    for match in _TOKENS.finditer(body):
        token = match.group(0)
        if token == b"\n":
            line += 1
        elif token in (b"{", b"["):
            if token == b"{" and depth == record_depth:
                starts.append(line)
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
        else:
            line += token.count(b"\n")  # JSON strings cannot hold raw newlines, but be safe
    return starts


def _first_line_parses(body: bytes) -> bool:
    for raw in body.splitlines():
        if raw.strip():
            return isinstance(_loads(raw), dict | list)
    return False


def _json_lines(body: bytes) -> Decoded:
    out: Decoded = []
    for number, raw in enumerate(body.splitlines(), start=1):
        if not raw.strip():
            continue
        doc = _loads(raw)
        if doc is _FAILED:
            error = InvalidRecord(MALFORMED_JSON, "line is not JSON")
            out.append((number, error))
        else:
            out.extend((number, record) for record in _split(doc, 0))
    return out
