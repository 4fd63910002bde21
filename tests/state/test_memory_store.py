"""MemoryStore specifics: TTLs follow the injected clock, expiry bookkeeping stays bounded."""

from __future__ import annotations

from correlator.state import MemoryStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ttl_follows_the_injected_clock() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    store.write_batch({"alice": b"a"}, ttl_ms=60_000)
    clock.now += 59.9
    assert store.get_many(["alice"]) == {"alice": b"a"}
    clock.now += 0.1
    assert store.get_many(["alice"]) == {}
    assert (store.count(), store.size_bytes()) == (0, 0)


def test_rewriting_a_key_moves_its_deadline() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    store.write_batch({"alice": b"a"}, ttl_ms=10_000)
    clock.now += 8
    store.write_batch({"alice": b"b"}, ttl_ms=10_000)
    clock.now += 8  # past the first deadline, before the second
    assert store.get_many(["alice"]) == {"alice": b"b"}


def test_hot_key_rewrites_keep_expiry_heap_bounded() -> None:
    store = MemoryStore(clock=FakeClock())
    for i in range(20_000):
        store.write_batch({"alice": i.to_bytes(4, "big")}, ttl_ms=3_600_000)
    assert len(store._expiry_heap) <= 2 * 1 + 1024 + 1
    assert store.count() == 1
