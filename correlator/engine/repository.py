"""Where the engine finds each user's state: in memory, or loaded from a StateStore per batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from correlator.config import DAY_MS, DetectionConfig
from correlator.engine.state import UserState, decode_state, encode_state


class UserStates(Protocol):
    def get(self, user: str) -> UserState: ...
    def mark_dirty(self, user: str) -> None: ...
    def __iter__(self) -> Iterator[str]: ...


S = TypeVar("S")


@dataclass(frozen=True)
class Codec(Generic[S]):
    """How one kind of keyed state is stored: msgpack bytes, and the empty state."""

    encode: Callable[[S], bytes]
    decode: Callable[[bytes], S]
    empty: Callable[[], S]


USER_CODEC: Codec[UserState] = Codec(encode_state, decode_state, UserState)


class MemoryStates(Generic[S]):
    """All states in one dict: the embedded default and the replay runtime.

    With ``horizon_ms``, a key whose newest event is older than the newest event seen minus the
    horizon is forgotten, as Redis forgets idle users by TTL: otherwise every made-up UPN of a
    spraying campaign would stay in memory for the life of the process. Swept once per
    ``horizon_ms / 8`` of event time, so the cost is a pass over the keys every few days.
    """

    def __init__(
        self,
        codec: Codec[S] = USER_CODEC,  # type: ignore[assignment]
        *,
        horizon_ms: int | None = None,
        newest: Callable[[S], int] | None = None,
    ) -> None:
        self._codec = codec
        self._states: dict[str, S] = {}
        self._horizon_ms = horizon_ms
        self._newest_of: Callable[[S], int] = newest or newest_event  # type: ignore[assignment]
        self._newest = 0  # newest event time of any key
        self._next_sweep = 0
        self.forgotten = 0

    def get(self, user: str) -> S:
        state = self._states.get(user)
        if state is None:
            state = self._states[user] = self._codec.empty()
        return state

    def mark_dirty(self, user: str) -> None:
        # Nothing to write back (the dict is the state): only event time moves on.
        if self._horizon_ms is None:
            return
        newest = self._newest_of(self._states[user])
        if newest > self._newest:
            self._newest = newest
            if newest >= self._next_sweep:
                self._sweep()

    def _sweep(self) -> None:
        assert self._horizon_ms is not None
        cutoff = self._newest - self._horizon_ms
        idle = [key for key, state in self._states.items() if self._newest_of(state) < cutoff]
        for key in idle:
            del self._states[key]
        self.forgotten += len(idle)
        self._next_sweep = self._newest + max(self._horizon_ms // 8, 1)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._states))

    def __len__(self) -> int:
        return len(self._states)

    def encoded_size(self, user: str) -> int:
        return len(self._codec.encode(self._states[user]))


def state_horizon_ms(config: DetectionConfig) -> int:
    """How long a user's state outlives their newest event: the baseline lookback, plus a day."""
    return (config.baseline_lookback_days + 1) * DAY_MS


def newest_event(state: UserState) -> int:
    """The newest event time a user's state holds (changes and consents are kept sorted by
    time). A user known only by a consent is not idle: a call may still arrive to pair with it."""
    newest = state.max_time
    if state.changes:
        newest = max(newest, state.changes[-1].time)
    if state.calls:
        newest = max(newest, max(call.time for call in state.calls))
    if state.consents:
        newest = max(newest, state.consents[-1].time)
    if state.recent:
        newest = max(newest, state.recent[-1].time)
    return newest


class StoreLike(Protocol):
    def get_many(self, keys: list[str]) -> dict[str, bytes]: ...


class CachedStates(Generic[S]):
    """A write-back cache over a byte store: load a batch's users at once, flush the dirty ones.

    The runtime calls ``prefetch`` with the users of a batch, the engine reads and mutates, and
    ``dirty_payload`` hands the encoded states to the store's one-pipeline batch write.
    """

    def __init__(
        self,
        store: StoreLike,
        *,
        max_cached: int = 100_000,
        codec: Codec[S] = USER_CODEC,  # type: ignore[assignment]
    ) -> None:
        self._store = store
        self._codec = codec
        self._cache: dict[str, S] = {}
        self._dirty: set[str] = set()
        self._max_cached = max_cached

    def prefetch(self, users: Iterable[str]) -> bool:
        """Load the users not cached yet; True if the store was read."""
        missing = [u for u in dict.fromkeys(users) if u not in self._cache]
        if not missing:
            return False
        loaded = self._store.get_many(missing)
        for user in missing:
            data = loaded.get(user)
            self._cache[user] = self._codec.decode(data) if data else self._codec.empty()
        return True

    def get(self, user: str) -> S:
        if user not in self._cache:
            self.prefetch([user])
        return self._cache[user]

    def mark_dirty(self, user: str) -> None:
        self._dirty.add(user)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._cache))

    def dirty_payload(self) -> dict[str, bytes]:
        """The encoded states changed since the last ``mark_clean`` (kept until then)."""
        return {user: self._codec.encode(self._cache[user]) for user in self._dirty}

    def mark_clean(self) -> None:
        self._dirty.clear()

    def evict_clean(self) -> None:
        """Drop cached users beyond the bound; only clean ones, so nothing unsaved is lost."""
        excess = len(self._cache) - self._max_cached
        for user in list(self._cache):
            if excess <= 0:
                break
            if user not in self._dirty:
                del self._cache[user]
                excess -= 1

    def forget(self) -> None:
        """After a rebalance another worker may own these users: reload from the store."""
        self._cache.clear()
        self._dirty.clear()
