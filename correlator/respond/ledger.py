"""What has been done per finding uid: the guard of "at most one action per finding".

A finding is *claimed* (``started``) before any Graph call and marked ``done`` after; the claim
is atomic (Redis ``SET NX``), so two responders, a re-delivery or a restart never act twice.
A claim left ``started`` by a crash is not retried: the call may have gone out, and the policy
withholds it as ``interrupted`` for a person to check. Memory and Redis behind one interface.

The rate limit's window lives next to it in Redis, so a restarted responder (or a second one
on the same store) still counts the actions taken before; the memory window is in ``policy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import redis
from redis import exceptions as rx

from correlator.errors import StoreUnavailable

T = TypeVar("T")
STARTED, DONE = "started", "done"
TTL_MS = 90 * 86_400_000  # a finding older than this is not re-delivered


class Ledger(Protocol):
    def get(self, finding_uid: str) -> str | None: ...

    def claim(self, finding_uid: str) -> bool:
        """True when this caller now owns the finding's action (nobody claimed it before)."""
        ...

    def complete(self, finding_uid: str) -> None: ...


class MemoryLedger:
    def __init__(self) -> None:
        self._states: dict[str, str] = {}

    def get(self, finding_uid: str) -> str | None:
        return self._states.get(finding_uid)

    def claim(self, finding_uid: str) -> bool:
        if finding_uid in self._states:
            return False
        self._states[finding_uid] = STARTED
        return True

    def complete(self, finding_uid: str) -> None:
        self._states[finding_uid] = DONE


class RedisLedger:
    """Keys ``<namespace>:respond:<finding uid>`` holding ``started`` or ``done``."""

    def __init__(self, url: str, *, namespace: str = "correlator") -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2.0, decode_responses=True)
        self._prefix = f"{namespace}:respond:"

    def get(self, finding_uid: str) -> str | None:
        value = self._call(lambda: self._client.get(self._prefix + finding_uid))
        return value if isinstance(value, str) else None

    def claim(self, finding_uid: str) -> bool:
        key = self._prefix + finding_uid
        return bool(self._call(lambda: self._client.set(key, STARTED, nx=True, px=TTL_MS)))

    def complete(self, finding_uid: str) -> None:
        self._call(lambda: self._client.set(self._prefix + finding_uid, DONE, px=TTL_MS))

    def _call(self, command: Callable[[], T]) -> T:
        return _call("response ledger", command)


# KEYS[1] the window; ARGV: now, per_ms, max_actions, finding uid. 1: taken (or already in).
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class RedisRateWindow:
    """A sorted set ``<namespace>:respond-rate`` of finding uids scored by when each was acted
    on, checked and written by one script. A dry run counts in a set of its own
    (``…:dry-run``), so switching to acting does not start with the dry run's slots taken."""

    def __init__(
        self, url: str, max_actions: int, per_ms: int, *, namespace: str, dry_run: bool
    ) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2.0, decode_responses=True)
        self._key = f"{namespace}:respond-rate" + (":dry-run" if dry_run else "")
        self._script = self._client.register_script(_TAKE)
        self.max_actions, self.per_ms = max_actions, per_ms

    def take(self, finding_uid: str, now_ms: int) -> bool:
        args: list[str | int] = [now_ms, self.per_ms, self.max_actions, finding_uid]
        return bool(_call("response rate limit", lambda: self._script([self._key], args)) == 1)

    def release(self, finding_uid: str) -> None:
        _call("response rate limit", lambda: self._client.zrem(self._key, finding_uid))


def _call(what: str, command: Callable[[], T]) -> T:
    try:
        return command()
    except (rx.ConnectionError, rx.TimeoutError, rx.ReadOnlyError) as exc:
        raise StoreUnavailable(f"{what}: {exc}") from exc
