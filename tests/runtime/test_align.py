"""What event-time alignment releases from its buffers, and in which order (the pure merge)."""

from __future__ import annotations

from collections import deque

from confluent_kafka import Message

from correlator.runtime.align import EARLIEST, Key, Waiting, drain

SIGNINS, AUDITS, CALLS = ("signins", 0), ("audits", 0), ("calls", 0)
H = 3_600_000
AHEAD = 6 * H


def buffers(**times: list[int | None]) -> dict[Key, deque[Waiting[str]]]:
    keys = {"signins": SIGNINS, "audits": AUDITS, "calls": CALLS}
    out: dict[Key, deque[Waiting[str]]] = {}
    for name, values in times.items():
        out[keys[name]] = deque(
            Waiting(
                Message(),  # type: ignore[call-arg]
                EARLIEST if t is None else t,
                f"{name}@{i}",
                100,
                0,
            )
            for i, t in enumerate(values)
        )
    return out


def released(
    waiting: dict[Key, deque[Waiting[str]]],
    newest: dict[Key, int],
    pending: set[Key],
    floor: list[int] | None = None,
) -> list[str]:
    return [w.item for w in drain(waiting, newest, pending, AHEAD, floor)]


def test_merged_by_event_time_each_partition_in_offset_order() -> None:
    waiting = buffers(signins=[1 * H, 5 * H, 9 * H], audits=[2 * H, 3 * H], calls=[8 * H])
    out = released(waiting, {}, set())
    assert out == ["signins@0", "audits@0", "audits@1", "signins@1", "calls@0", "signins@2"]
    assert not any(waiting.values())


def test_a_partition_with_unread_records_and_nothing_buffered_holds_the_far_ahead_back() -> None:
    # a day of sign-ins fetched; the audits partition read up to 2 h and has more to read
    waiting = buffers(signins=[1 * H, 7 * H, 8 * H, 9 * H, 30 * H])
    out = released(waiting, {AUDITS: 2 * H, SIGNINS: 30 * H}, {SIGNINS, AUDITS})
    assert out == ["signins@0", "signins@1", "signins@2"]  # up to 2 h + 6 h
    assert [w.item for w in waiting[SIGNINS]] == ["signins@3", "signins@4"]


def test_a_partition_never_read_holds_every_dated_record() -> None:
    waiting = buffers(signins=[None, 1 * H], calls=[2 * H])
    out = released(waiting, {SIGNINS: H, CALLS: 2 * H}, {SIGNINS, CALLS, AUDITS})
    assert out == ["signins@0"]  # a record with no event time (a dead letter) goes at once


def test_a_partition_emptied_by_the_merge_bounds_the_rest_at_once() -> None:
    # the audits' only buffered record goes; more audits are unread, so the sign-ins a day
    # later must wait for them
    waiting = buffers(signins=[2 * H, 30 * H], audits=[1 * H])
    out = released(waiting, {AUDITS: 1 * H, SIGNINS: 30 * H}, {AUDITS, SIGNINS})
    assert out == ["audits@0", "signins@0"]
    assert [w.item for w in waiting[SIGNINS]] == ["signins@1"]


def test_caught_up_partitions_hold_nobody_back() -> None:
    # a live stream: nothing left to read anywhere, everything buffered goes
    waiting = buffers(signins=[30 * H], audits=[1 * H])
    assert released(waiting, {AUDITS: 1 * H, SIGNINS: 30 * H}, set()) == ["audits@0", "signins@0"]


def test_another_members_partition_bounds_this_ones() -> None:
    # this member caught up its own partitions; another member's audits are still at 2 h
    waiting = buffers(signins=[1 * H, 7 * H, 9 * H])
    assert released(waiting, {SIGNINS: 9 * H}, set(), floor=[2 * H]) == ["signins@0", "signins@1"]
