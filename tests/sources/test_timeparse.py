"""parse_time: every format the exports use, the range guard, and round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from correlator.errors import InvalidRecord
from correlator.sources.timeparse import format_iso, parse_time

# 2007-01-09T09:41:00Z, the instant Elastic's corner-case files write in every format.
T0 = 1_168_335_660_000

CASES = [
    ("01/09/2007 09:41:00", T0),  # US month-first, 24-hour, no zone
    ("1/9/2007 09:41:00", T0),  # no leading zeros
    ("01/09/2007 09:41:00 AM", T0),
    ("1/9/2007 9:41:00 AM", T0),
    ("1/9/2007 10:41:00 AM +01:00", T0),  # US form with an offset suffix
    ("1/9/2007 9:41:00 PM", T0 + 12 * 3_600_000),
    ("1/9/2007 12:05:00 AM", T0 - (9 * 60 + 36) * 60_000),  # 12 AM is midnight
    ("2007-01-09T09:41:00", T0),  # no zone: UTC
    ("2007-01-09T09:41:00Z", T0),
    ("2007-01-09T09:41:00.22Z", T0 + 220),
    ("2007-01-09T09:41:00.6816663Z", T0 + 681),  # 7 digits (.NET ticks), truncated
    ("2007-01-09T09:41:00.535404056Z", T0 + 535),  # 9 digits
    ("2007-01-09T09:41:00.992099+00:00", T0 + 992),
    ("2007-01-09T11:41:00+02:00", T0),
    ("2007-01-09T04:41:00.5-05:00", T0 + 500),
    ("2007-01-09 09:41:00.123", T0 + 123),  # Panther's stored form
    ("2007-01-09 09:41:00.983201900", T0 + 983),
    (" 2007-01-09T09:41:00Z ", T0),
    ("1168335660", T0),  # epoch seconds as text
    ("1168335660000", T0),  # epoch ms as text
    ("1168335660.5", T0 + 500),
    (1168335660, T0),
    (1168335660000, T0),
    (1168335660.25, T0 + 250),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_formats(value: object, expected: int) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing_time"),
        ("", "missing_time"),
        ("0001-01-01T00:00:00Z", "invalid_time"),  # Graph's "no value" sentinel
        ("1989-12-31T23:59:59Z", "invalid_time"),
        ("2100-01-01T00:00:00Z", "invalid_time"),
        ("13/45/2007 09:41:00", "invalid_time"),
        ("1/9/2007 13:41:00 PM", "invalid_time"),
        ("yesterday", "invalid_time"),
        ("2007-01-09T09:41:00" + "0" * 100, "invalid_time"),
        (True, "invalid_time"),
        (0, "invalid_time"),
        (float("nan"), "invalid_time"),
        (float("inf"), "invalid_time"),
        ([2007], "invalid_time"),
        ({"time": 1}, "invalid_time"),
    ],
)
def test_rejects(value: object, reason: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        parse_time(value, "createdDateTime")
    assert caught.value.reason == reason
    assert caught.value.field == "createdDateTime"


instants = st.datetimes(
    min_value=datetime(1990, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def _ms(dt: datetime) -> int:
    return int(dt.timestamp()) * 1000 + dt.microsecond // 1000


def _us(dt: datetime, hour12: bool, offset: bool) -> str:
    day = f"{dt.month}/{dt.day}/{dt.year}"
    if hour12:
        hour = dt.hour % 12 or 12
        text = f"{day} {hour}:{dt.minute:02d}:{dt.second:02d} {'PM' if dt.hour >= 12 else 'AM'}"
    else:
        text = f"{day} {dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    return text + (" " + dt.strftime("%z")[:3] + ":" + dt.strftime("%z")[3:] if offset else "")


@given(instants, offsets)
def test_iso_round_trip(dt: datetime, tz: timezone) -> None:
    local = dt.astimezone(tz)
    expected = _ms(dt)
    assert parse_time(local.isoformat()) == expected  # ±hh:mm offset, 6 digits
    assert parse_time(dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")) == expected
    assert parse_time(dt.strftime("%Y-%m-%d %H:%M:%S.%f") + "000") == expected  # 9 digits, space
    assert parse_time(format_iso(expected)) == expected


@given(instants.map(lambda d: d.replace(microsecond=0)), offsets, st.booleans())
def test_us_round_trip(dt: datetime, tz: timezone, hour12: bool) -> None:
    expected = _ms(dt)
    assert parse_time(_us(dt, hour12, offset=False)) == expected
    assert parse_time(_us(dt.astimezone(tz), hour12, offset=True)) == expected


@given(instants)
def test_epoch_round_trip(dt: datetime) -> None:
    expected = _ms(dt)
    assert parse_time(expected) == expected
    assert parse_time(str(expected)) == expected
    assert parse_time(expected // 1000) == expected - expected % 1000


@given(st.one_of(st.text(max_size=80), st.integers(), st.floats(), st.none(), st.booleans()))
def test_never_raises_anything_else(value: object) -> None:
    try:
        ms = parse_time(value)
    except InvalidRecord as error:
        assert error.reason in ("missing_time", "invalid_time")
    else:
        assert 631_152_000_000 <= ms < 4_102_444_800_000
