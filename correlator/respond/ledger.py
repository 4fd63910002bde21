"""What has been done per finding uid: the guard of "at most one action per finding".

A finding is *claimed* (``started``) before any Graph call and marked ``done`` after; the claim
is atomic (Redis ``SET NX``), so two responders, a re-delivery or a restart never act twice.
A claim left ``started`` by a crash is not retried: the call may have gone out, and the policy
withholds it as ``interrupted`` for a person to check. Memory and Redis behind one interface.
"""

from __future__ import annotations

from typing import Protocol

import redis
from redis import exceptions as rx

from correlator.errors import StoreUnavailable

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

    def _call(self, command: object) -> object:
        try:
            return command()  # type: ignore[operator]
        except (rx.ConnectionError, rx.TimeoutError, rx.ReadOnlyError) as exc:
            raise StoreUnavailable(f"response ledger: {exc}") from exc
