"""Syslog lines: the text bodies VPN gateways send, split into records and their headers read.

A body that is not JSON but whose first line looks like syslog becomes one ``SyslogLine`` per
non-blank line. Headers seen in the wild, all accepted:

- RFC 5424: ``<14>1 2026-11-30T08:00:00.123Z PA-3220 - - - - message`` (structured data
  ``-`` or ``[...]`` blocks, which are skipped);
- RFC 3164: ``<166>Nov 30 08:00:00 host message``: no year, no zone;
- Cisco ASA's own timestamp (``logging timestamp``): ``<166>Nov 30 2026 08:00:00 asa01 :
  %ASA-...``, with or without the device id, with or without the ``:``;
- a relay's RFC 3339 stamp (rsyslog templates): ``2026-11-30T08:00:00+01:00 host message``;
- no header at all: ``<190>date=... time=...`` (FortiGate) or ``%ASA-...``.

Syslog times without a zone are taken as UTC (gateways should log in UTC); a header without a
year gives no time, so the parser must find one in the message or refuse the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from correlator.errors import InvalidRecord
from correlator.sources.fields import MAX_TEXT
from correlator.sources.reasons import TOO_LARGE
from correlator.sources.timeparse import MAX_MS, MIN_MS, parse_time

_PRI = re.compile(r"<(\d{1,3})>")
_RFC5424 = re.compile(r"1 (\S+) (\S+) (\S+) (\S+) (\S+) ")
_STRUCTURED = re.compile(r'-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+')
_BSD_TIME = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (?:(\d{4}) )?"
    r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?:? "
)
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?) ")
_MONTHS = {"JanFebMarAprMayJunJulAugSepOctNovDec"[i * 3 : i * 3 + 3]: i + 1 for i in range(12)}
_LOOKS_LIKE_SYSLOG = re.compile(
    rb"\s*(?:<\d{1,3}>|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d|\d{4}-\d\d-\d\dT"
    rb"|%(?:ASA|FTD)-|date=\d)"
)


@dataclass(frozen=True, slots=True)
class SyslogLine:
    """One syslog line as received: the record type of every text (non-JSON) source."""

    text: str

    def __bytes__(self) -> bytes:
        return self.text.encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class SyslogHeader:
    """What the transport header says: event time (if it had a year), sending host, message."""

    time: int | None
    host: str | None
    message: str


def looks_like_syslog(body: bytes) -> bool:
    return _LOOKS_LIKE_SYSLOG.match(body[:64]) is not None


def syslog_lines(body: bytes) -> list[tuple[int, object]]:
    """``(line number, SyslogLine)`` for each non-blank line; an over-long line is refused in
    place (``too_large``) so that its neighbours still count."""
    out: list[tuple[int, object]] = []
    for number, raw in enumerate(body.splitlines(), start=1):
        if not raw.strip():
            continue
        if len(raw) > MAX_TEXT:
            out.append((number, InvalidRecord(TOO_LARGE, f"syslog line of {len(raw)} bytes")))
            continue
        out.append((number, SyslogLine(raw.decode("utf-8", "replace").strip())))
    return out


def split_header(line: str) -> SyslogHeader:
    """The header of one line (any of the shapes above), never raising."""
    rest = line.lstrip("\ufeff ")
    pri = _PRI.match(rest)
    if pri is not None:
        rest = rest[pri.end() :]
    rfc5424 = _RFC5424.match(rest)
    if rfc5424 is not None:
        return _from_5424(rfc5424, rest)
    time: int | None = None
    bsd = _BSD_TIME.match(rest)
    iso = None if bsd is not None else _ISO_TIME.match(rest)
    if bsd is not None:
        time, rest = _bsd_time(bsd), rest[bsd.end() :]
    elif iso is not None:
        time, rest = _iso_time(iso.group(1)), rest[iso.end() :]
    else:
        return SyslogHeader(None, None, rest)
    return _with_host(time, rest)


def _from_5424(match: re.Match[str], rest: str) -> SyslogHeader:
    stamp, host = match.group(1), match.group(2)
    body = rest[match.end() :]
    structured = _STRUCTURED.match(body)
    if structured is not None:
        body = body[structured.end() :]
    body = body.lstrip(" ").removeprefix("\ufeff")
    return SyslogHeader(_iso_time(stamp), None if host == "-" else host, body)


def _with_host(time: int | None, rest: str) -> SyslogHeader:
    """After the time comes the host, unless the message follows at once (``%ASA-``, ``: ``)."""
    if rest.startswith(("%", ": ", "date=")):
        return SyslogHeader(time, None, rest.removeprefix(": "))
    host, _, message = rest.partition(" ")
    return SyslogHeader(time, host.rstrip(":") or None, message.removeprefix(": "))


def _bsd_time(match: re.Match[str]) -> int | None:
    if match.group(3) is None:
        return None  # RFC 3164 has no year: guessing one would misplace December logs in January
    try:
        stamp = datetime(
            int(match.group(3)),
            _MONTHS[match.group(1)],
            int(match.group(2)),
            int(match.group(4)),
            int(match.group(5)),
            int(match.group(6)),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    ms = int(stamp.timestamp() * 1000)
    return ms if MIN_MS <= ms < MAX_MS else None


def _iso_time(stamp: str) -> int | None:
    if stamp == "-":
        return None
    try:
        return parse_time(stamp, "syslog timestamp")
    except InvalidRecord:
        return None
