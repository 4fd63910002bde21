"""Which partitions event-time alignment pauses and resumes (the pure decision)."""

from __future__ import annotations

import pytest

from correlator.runtime.align import decide

A, B, C = ("signins", 0), ("audits", 0), ("calls", 0)
H = 3_600_000


@pytest.mark.parametrize(
    ("newest", "pending", "paused", "expected"),
    [
        # sign-ins a day ahead of the audits still to read: sign-ins wait
        ({A: 30 * H, B: 6 * H}, {A, B}, set(), ({A}, set())),
        # a partition with records left but none read yet holds everyone back
        ({A: 30 * H}, {A, B}, set(), ({A}, set())),
        # the audits caught up (nothing left to read): the sign-ins go on
        ({A: 30 * H, B: 6 * H}, {A}, {A}, (set(), {A})),
        # within the bound: nobody waits
        ({A: 10 * H, B: 6 * H, C: 7 * H}, {A, B, C}, set(), (set(), set())),
        # a live stream, everything caught up: every pause is lifted
        ({A: 30 * H, B: 6 * H}, set(), {A}, (set(), {A})),
    ],
)
def test_decide(
    newest: dict[tuple[str, int], int],
    pending: set[tuple[str, int]],
    paused: set[tuple[str, int]],
    expected: tuple[set[tuple[str, int]], set[tuple[str, int]]],
) -> None:
    assert decide(newest, pending, paused, 6 * H) == expected
