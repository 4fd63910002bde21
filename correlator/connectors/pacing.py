"""Request pacing for Graph: a sliding-window rate limit and jittered back-off. No I/O.

The reporting API allows 5 requests per 10 s per app and tenant; going over earns 429s and,
repeated, longer bans. The clock and the sleep are passed in, so tests move time themselves.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

REPORTING_REQUESTS = 5
REPORTING_WINDOW_S = 10.0


@dataclass
class RateLimit:
    """At most ``requests`` starts in any ``window_s`` seconds."""

    requests: int = REPORTING_REQUESTS
    window_s: float = REPORTING_WINDOW_S
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _starts: deque[float] = field(default_factory=deque)

    def __post_init__(self) -> None:
        if self.requests < 1 or self.window_s <= 0:
            raise ValueError("a rate limit needs at least one request per positive window")

    def acquire(self) -> float:
        """Waits until a request may start and records it; returns the time waited."""
        waited = 0.0
        while True:
            now = self.clock()
            while self._starts and now - self._starts[0] >= self.window_s:
                self._starts.popleft()
            if len(self._starts) < self.requests:
                self._starts.append(now)
                return waited
            pause = self.window_s - (now - self._starts[0])
            self.sleep(pause)
            waited += pause


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts: the server's Retry-After when it gives one, plus jitter so
    that several pollers throttled together do not return together; else exponential."""

    base_s: float = 1.0
    cap_s: float = 120.0
    jitter_s: float = 1.0
    attempts: int = 8
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(self.cap_s, max(0.0, retry_after_s)) + self.jitter_s * self.rand()
        ceiling = min(self.cap_s, self.base_s * 2.0**attempt)
        return ceiling / 2 + ceiling / 2 * self.rand()


def parse_retry_after(value: str | None, now_epoch_s: float) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None if absent or
    unreadable (the caller then backs off exponentially)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when.timestamp()) - now_epoch_s)
