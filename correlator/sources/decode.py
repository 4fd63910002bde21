"""Bytes to records: one message or file body becomes a list of JSON objects.

Accepted bodies: one JSON object; a JSON array; a Graph page ``{"value": [...]}`` (with any
``@odata.*`` keys); an Azure Monitor / Event Hubs envelope ``{"records": [...]}``; a Log
Analytics query-API response ``{"tables": [{"columns": [...], "rows": [...]}]}``; JSON lines
(each line may itself be a page or envelope, as blobs and Event Hub captures are). A UTF-8 BOM
and the trailing commas of the Graph documentation examples are tolerated. An empty page or
envelope is no records, not an error. A body that is not JSON but starts like syslog (VPN
gateways) gives one ``SyslogLine`` per line.

Everything here is linear in the input: bodies are untrusted, and a decode that holds the
interpreter for seconds also silences the health endpoints.
"""

from __future__ import annotations

import re

import orjson

from correlator.errors import InvalidRecord
from correlator.sources.reasons import MALFORMED_JSON, TOO_LARGE
from correlator.sources.syslog import looks_like_syslog, syslog_lines

MAX_PAYLOAD = 256 * 1024 * 1024  # a replayed file
MAX_MESSAGE = 8 * 1024 * 1024  # a stream message: twice the 4 MB pages the raw topics carry
_BOM = b"\xef\xbb\xbf"
_MAX_SPLIT_DEPTH = 2  # a list of envelopes, or envelopes on JSON lines; deeper is data
# Possessive quantifiers: a string either matches in one pass or not at all, never re-scanned.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_QUOTE_OR_COMMA = re.compile(rb'[",]')
_CLOSING = re.compile(rb"\s*+[}\]]")
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}\n]')
_FAILED = object()

Decoded = list[tuple[int, object]]  # (1-based line, record or InvalidRecord)


def decode_payload(data: bytes, *, limit: int = MAX_MESSAGE) -> list[object]:
    """The records of one body. Lines that fail to parse are returned as ``InvalidRecord``
    instances in place (``parse_record`` re-raises them), so per-record counts still add up and
    match ``decode_lines`` record for record; when the body is one unusable document,
    ``InvalidRecord('malformed_json')`` is raised, and a body over
    ``limit`` bytes is refused as ``too_large`` before any parsing. An empty page is ``[]``."""
    if isinstance(data, bytes | bytearray | memoryview) and len(data) > limit:
        raise InvalidRecord(TOO_LARGE, f"message of {len(data)} bytes exceeds {limit}")
    if isinstance(data, bytes | bytearray | memoryview) and not bytes(data).strip():
        raise InvalidRecord(MALFORMED_JSON, "empty payload")
    items = decode_lines(data, lines=False)
    if not items:
        return []
    if len(items) == 1 and isinstance(items[0][1], InvalidRecord):
        raise items[0][1]  # the body as a whole is unusable
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
        stripped = _without_trailing_commas(body)
        doc = _FAILED if stripped is None else _loads(stripped)
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


def _without_trailing_commas(body: bytes) -> bytes | None:
    """The body without commas before ``}``/``]`` outside strings; None when a string never
    ends (the body cannot parse either way). One forward pass: each string is matched once."""
    parts: list[bytes] = []
    start = pos = 0
    while (found := _QUOTE_OR_COMMA.search(body, pos)) is not None:
        at = found.start()
        if body[at] == 0x22:  # '"'
            string = _STRING.match(body, at)
            if string is None:
                return None
            pos = string.end()
        else:
            pos = at + 1
            if _CLOSING.match(body, pos):
                parts.append(body[start:at])
                start = pos
    parts.append(body[start:])
    return b"".join(parts)


def _split(doc: object, depth: int) -> list[object]:
    if depth > _MAX_SPLIT_DEPTH:
        return [doc]
    if isinstance(doc, list):
        return [record for item in doc for record in _split(item, depth + 1)]
    if isinstance(doc, dict):
        tables = _query_rows(doc)
        if tables is not None:
            return tables
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


def _query_rows(doc: dict[str, object]) -> list[object] | None:
    """The rows of a Log Analytics query-API response as column-named objects, or None when
    ``doc`` is not one. A row that does not match its columns is an error in place."""
    tables = doc.get("tables")
    if not isinstance(tables, list) or set(doc) - {"tables", "error"}:
        return None
    if not all(isinstance(t, dict) and isinstance(t.get("rows"), list) for t in tables):
        return None
    out: list[object] = []
    for table in tables:
        names = _column_names(table.get("columns"))
        for row in table["rows"]:
            if names is not None and isinstance(row, list) and len(row) == len(names):
                out.append(dict(zip(names, row, strict=True)))
            else:
                out.append(InvalidRecord(MALFORMED_JSON, "query row does not match its columns"))
    return out


def _column_names(columns: object) -> list[str] | None:
    if not isinstance(columns, list):
        return None
    names = [c.get("name") if isinstance(c, dict) else None for c in columns]
    return names if all(isinstance(n, str) for n in names) else None  # type: ignore[return-value]
