"""One time parser for every source: whatever the log wrote, UTC epoch milliseconds out.

Seen in the wild: ISO 8601 with ``Z`` or an offset and 0-9 fractional digits (Graph, Azure
Monitor), a space instead of ``T`` (Panther's stored form), US ``M/D/YYYY h:mm:ss AM`` with an
optional `` +01:00`` (ADFS and some Event Hub exports), and epoch numbers in seconds or ms.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from correlator.errors import InvalidRecord
from correlator.sources.reasons import INVALID_TIME, MISSING_TIME

# Anything outside this range is a sentinel (0001-01-01), a unit mix-up or garbage.
MIN_MS = 631_152_000_000  # 1990-01-01T00:00:00Z
MAX_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
_MIN_S = MIN_MS // 1000
_MAX_S = MAX_MS // 1000
_MAX_TEXT = 64  # longer strings are not times; refuse before doing any work

_UTC = UTC


def parse_time(value: object, field: str = "time") -> int:
    """Return ``value`` as UTC epoch ms, or raise ``InvalidRecord`` naming ``field``."""
    if value is None or value == "":
        raise InvalidRecord(MISSING_TIME, "no event time", field=field)
    if isinstance(value, str):
        ms = _parse_text(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        ms = _from_number(value)
    else:
        ms = None
    if ms is None or not MIN_MS <= ms < MAX_MS:
        raise InvalidRecord(INVALID_TIME, f"unusable time {_show(value)}", field=field)
    return ms


def _parse_text(text: str) -> int | None:
    if len(text) > _MAX_TEXT:
        return None
    text = text.strip()
    if len(text) >= 10 and text[4] == "-" and (len(text) == 10 or text[10] in "T "):
        return _from_iso(text)
    if "/" in text[:6]:
        return _from_us(text)
    return _from_numeric_text(text)


def _from_iso(text: str) -> int | None:
    # fromisoformat (3.11) takes Z, offsets, a space separator and any number of fractional
    # digits (it truncates to microseconds): one C call covers every ISO form we have seen.
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return _to_ms(dt)


def _to_ms(dt: datetime) -> int | None:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_UTC)  # Azure exports without a zone are UTC
    if not 1989 <= dt.year <= 2100:
        return None  # timestamp() of year-1 sentinels would overflow on some platforms
    # Whole seconds are exact in a double; adding the ms separately avoids 0.999 rounding.
    return int(dt.timestamp()) * 1000 + dt.microsecond // 1000


def _from_us(text: str) -> int | None:
    """``M/D/YYYY h:mm[:ss][.fff] [AM|PM] [+hh:mm]``: month first, as .NET's en-US prints."""
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        return None
    date_part, time_part, rest = parts[0], parts[1], parts[2:]
    meridiem = rest.pop(0).upper() if rest and rest[0].upper() in ("AM", "PM") else None
    offset = rest.pop(0) if rest else None
    if rest:
        return None
    try:
        month, day, year = (int(p) for p in date_part.split("/"))
        hour, minute, second, micro = _clock(time_part)
        hour = _twelve_hour(hour, meridiem)
        dt = datetime(year, month, day, hour, minute, second, micro, tzinfo=_UTC)
        if offset is not None:
            dt = datetime.fromisoformat(dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + offset)
    except (ValueError, TypeError):
        return None
    return _to_ms(dt)


def _clock(text: str) -> tuple[int, int, int, int]:
    pieces = text.split(":")
    if not 2 <= len(pieces) <= 3:
        raise ValueError(text)
    seconds, _, fraction = (pieces[2] if len(pieces) == 3 else "0").partition(".")
    micro = int((fraction + "000000")[:6]) if fraction else 0
    return int(pieces[0]), int(pieces[1]), int(seconds), micro


def _twelve_hour(hour: int, meridiem: str | None) -> int:
    if meridiem is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError(hour)
    return hour % 12 + (12 if meridiem == "PM" else 0)


def _from_numeric_text(text: str) -> int | None:
    try:
        number = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return None
    return _from_number(number)


def _from_number(number: float) -> int | None:
    if number != number or number in (float("inf"), float("-inf")):
        return None
    # Seconds and milliseconds ranges do not overlap for 1990-2100, so the size tells the unit.
    if _MIN_S <= number < _MAX_S:
        return int(number * 1000)
    if MIN_MS <= number < MAX_MS:
        return int(number)
    return None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_iso(ms: int) -> str:
    """The canonical rendering (``...T...Z`` with ms), for messages and round-trip tests."""
    dt = datetime(1970, 1, 1, tzinfo=_UTC) + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
