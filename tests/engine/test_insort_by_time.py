"""``insort_by_time`` puts an item where ``bisect.insort`` by time would, equal times in
arrival order, whether it appends (in order, the usual case) or inserts (a late event)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from correlator.engine.join import insort_by_time


@dataclass
class Item:
    time: int
    arrival: int


@given(st.lists(st.integers(0, 20), max_size=40))
def test_places_each_item_as_insort_by_time_would(times: list[int]) -> None:
    ours: list[Item] = []
    reference: list[Item] = []
    for arrival, time in enumerate(times):
        insort_by_time(ours, Item(time, arrival))
        bisect.insort(reference, Item(time, arrival), key=lambda i: i.time)
    assert [(i.time, i.arrival) for i in ours] == [(i.time, i.arrival) for i in reference]
