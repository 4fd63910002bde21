"""`make bench`: throughput of the core against the raw decode rate, measured in one run.

Records are a simulated tenant in the real Graph formats (a beta sign-in is 2-4 KB). The
reference is `orjson.loads` alone over the same bytes; the core starts from the same raw bytes,
as the stream does (`Normalizer.normalize_bytes`: decode + parse), then enrich + join + rules.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import orjson

from correlator.config import load_settings
from correlator.engine.engine import Engine
from correlator.engine.repository import MemoryStates
from correlator.engine.state import encode_state
from correlator.errors import InvalidRecord
from correlator.identity import AliasMap
from correlator.normalize import Normalizer, event_order
from correlator.simulate import SimulationConfig, simulate, write_simulation
from correlator.wiring import build_enricher


def tenant_records(out: Path, users: int, days: int) -> tuple[list[bytes], Path]:
    sim = simulate(SimulationConfig(users=users, days=days, seed=11))
    write_simulation(sim, out)
    records = sim.signins + sim.audits + sim.tickets + sim.calls
    return [orjson.dumps(r) for r in records], out


def time_order(raw: list[bytes], normalizer: Normalizer, now_ms: int) -> list[bytes]:
    """Feed the stream in event-time order, as a live tenant would produce it."""
    keyed = []
    for data in raw:
        try:
            order = event_order(normalizer.normalize(orjson.loads(data), now_ms)[0])
        except InvalidRecord:
            order = (0, 0, "")  # rejected records still cost their parse: keep them
        keyed.append((order, data))
    keyed.sort(key=lambda pair: pair[0])
    return [data for _, data in keyed]


def decode_rate(raw: list[bytes], rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for data in raw:
            orjson.loads(data)
        best = max(best, len(raw) / (time.perf_counter() - start))
    return best


def core_rate(raw: list[bytes], out: Path, rounds: int, now_ms: int) -> tuple[float, MemoryStates]:
    settings = load_settings(out / "correlator.yaml")
    best, states = 0.0, MemoryStates()
    for _ in range(rounds):
        states = MemoryStates()
        engine = Engine(
            settings.detection,
            enricher=build_enricher(settings),
            states=states,
            aliases=AliasMap(settings.aliases),
        )
        normalizer = Normalizer(max_future_ms=settings.max_future_ms)
        start = time.perf_counter()
        for data in raw:
            try:
                outcomes = normalizer.normalize_bytes(data, now_ms)
            except InvalidRecord:
                continue
            for outcome in outcomes:
                if not isinstance(outcome, Exception):  # refused records: dead letters
                    for event in outcome:
                        engine.process(event)
        best = max(best, len(raw) / (time.perf_counter() - start))
    return best, states


def state_sizes(states: MemoryStates) -> list[int]:
    return sorted(len(encode_state(states.get(user))) for user in states)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    args = parser.parse_args()
    now_ms = int(time.time() * 1000)
    raw, out = tenant_records(args.out / "tenant", args.users, args.days)
    raw = time_order(raw, Normalizer(max_future_ms=10**12), now_ms)
    size = statistics.mean(len(r) for r in raw)
    print(
        f"records: {len(raw)} (mean {size:.0f} bytes) from {args.users} users x {args.days} days",
        file=sys.stderr,
    )
    decode_eps = decode_rate(raw, args.rounds)
    core_eps, states = core_rate(raw, out, args.rounds, now_ms)
    sizes = state_sizes(states)
    result = {
        "records": len(raw),
        "mean_record_bytes": round(size),
        "decode_eps": round(decode_eps),
        "core_eps": round(core_eps),
        "core_vs_decode": round(core_eps / decode_eps, 3),
        "state_bytes_per_user": round(statistics.median(sizes)),
        "state_bytes_per_user_p95": sizes[int(0.95 * (len(sizes) - 1))],
        "users": len(sizes),
    }
    print(
        f"decode only: {decode_eps:,.0f} records/s; core: {core_eps:,.0f} records/s "
        f"({result['core_vs_decode']}x); state per user: median {result['state_bytes_per_user']}"
        f" B, p95 {result['state_bytes_per_user_p95']} B",
        file=sys.stderr,
    )
    print(orjson.dumps(result).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
