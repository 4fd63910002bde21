"""Run in a child process by test_memory_ceiling: 100,000 made-up users, each signing in once
with unique large strings, through the stream's normaliser and the engine's memory state.
Prints one JSON line: users kept and forgotten, and the process's peak RSS."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import orjson

from correlator.config import DetectionConfig
from correlator.engine.engine import Engine
from correlator.normalize import Normalizer

DAY_MS = 86_400_000
START = 1_790_000_000_000


def signin(i: int, users: int, span_days: int, agent_bytes: int) -> bytes:
    return orjson.dumps(
        {
            "id": f"s{i}",
            "createdDateTime": START + i * (span_days * DAY_MS // users),
            "userPrincipalName": f"user{i:06d}@spray.example",
            "status": {"errorCode": 0},
            "ipAddress": f"198.51.{i // 256 % 256}.{i % 256}",
            "userAgent": f"{i:08d}" + "A" * agent_bytes,  # unique: no cache may keep them all
            "appDisplayName": f"app-{i}" + "B" * 500,
            "deviceDetail": {"browser": f"Edge {i}" + "C" * 300, "operatingSystem": "Windows"},
        }
    )


def main(users: int, span_days: int, big_agents: int) -> None:
    engine, normalizer = Engine(DetectionConfig()), Normalizer(max_future_ms=DAY_MS)
    now = START + (span_days + 1) * DAY_MS
    for i in range(users):
        # The first ones carry 60 KB user agents, as in the report that found the leak.
        body = signin(i, users, span_days, 60_000 if i < big_agents else 2_000)
        for outcome in normalizer.normalize_bytes(body, now):
            if isinstance(outcome, Exception):
                raise outcome
            for event in outcome:
                engine.process(event)
    states = engine.states
    peak_kb = _peak_rss_kb()
    result = {
        "events": sum(engine.stats.events.values()),
        "kept": len(states),  # type: ignore[arg-type]
        "forgotten": states.forgotten,  # type: ignore[attr-defined]
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


def _peak_rss_kb() -> int:
    """This process's own peak: Linux's ru_maxrss carries the parent's peak across fork and
    exec (a probe started by a 300 MB pytest reads 300 MB), VmHWM belongs to the new image."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
