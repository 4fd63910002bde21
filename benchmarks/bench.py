"""`make bench`: throughput of the core against the raw decode rate, measured in one run.

Records are a simulated tenant in the real Graph formats (a beta sign-in is 2-4 KB). The
reference is `orjson.loads` alone over the same bytes; the core starts from the same raw bytes,
as the stream does (`Normalizer.normalize_bytes`: decode + parse), then enrich + join + rules.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import orjson
from stream import say, stream_figures  # a sibling script in this folder

from correlator.cli import tune_gc
from correlator.config import load_settings
from correlator.engine.engine import Engine
from correlator.engine.repository import MemoryStates
from correlator.engine.state import encode_state
from correlator.errors import InvalidRecord
from correlator.identity import AliasMap
from correlator.normalize import Normalizer, event_order
from correlator.runtime.broker import EmbeddedBroker
from correlator.simulate import Simulation, SimulationConfig, simulate, write_simulation
from correlator.wiring import build_enricher


def tenant(out: Path, users: int, days: int) -> tuple[Simulation, list[bytes], Path]:
    sim = simulate(SimulationConfig(users=users, days=days, seed=11))
    write_simulation(sim, out)
    records = sim.signins + sim.audits + sim.tickets + sim.calls
    return sim, [orjson.dumps(r) for r in records], out


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


def core_figures(raw: list[bytes], out: Path, rounds: int) -> dict[str, float]:
    now_ms = int(time.time() * 1000)
    raw = time_order(raw, Normalizer(max_future_ms=10**12), now_ms)
    size = statistics.mean(len(r) for r in raw)
    decode_eps = decode_rate(raw, rounds)
    core_eps, states = core_rate(raw, out, rounds, now_ms)
    sizes = state_sizes(states)
    figures = {
        "records": len(raw),
        "mean_record_bytes": round(size),
        "decode_eps": round(decode_eps),
        "core_eps": round(core_eps),
        "core_vs_decode": round(core_eps / decode_eps, 3),
        "state_bytes_per_user": round(statistics.median(sizes)),
        "state_bytes_per_user_p95": sizes[int(0.95 * (len(sizes) - 1))],
        "users": len(sizes),
    }
    say(
        f"records: {len(raw)} (mean {size:.0f} bytes); decode only {decode_eps:,.0f}/s; core "
        f"{core_eps:,.0f}/s ({figures['core_vs_decode']}x); state per user: median "
        f"{figures['state_bytes_per_user']} B, p95 {figures['state_bytes_per_user_p95']} B"
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=10_000, help="background load, events/s")
    parser.add_argument("--seconds", type=float, default=20, help="length of the latency run")
    parser.add_argument("--no-stream", action="store_true", help="core figures only")
    parser.add_argument(
        "--faust-only",
        action="store_true",
        help="stream figures: raw, run (memory) and faust only; no Redis run, no latency run",
    )
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    args = parser.parse_args()
    tune_gc()  # as the correlator command does
    sim, raw, out = tenant(args.out / "tenant", args.users, args.days)
    figures: dict[str, float] = dict(core_figures(raw, out, args.rounds))
    if not args.no_stream:
        figures.update(stream_run(sim, out, args.rate, args.seconds, faust_only=args.faust_only))
    print(orjson.dumps(figures).decode())
    return 0


def stream_run(
    sim: Simulation, out: Path, rate: float, seconds: float, *, faust_only: bool = False
) -> dict[str, float]:
    """On KAFKA_BOOTSTRAP_SERVERS if set, else on the embedded broker; Redis at REDIS_URL or
    the local default."""
    settings = load_settings(out / "correlator.yaml")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        return stream_figures(
            sim,
            settings,
            bootstrap=bootstrap,
            redis_url=redis_url,
            rate=rate,
            seconds=seconds,
            config=out / "correlator.yaml",
            faust_only=faust_only,
        )
    with EmbeddedBroker() as broker:
        return stream_figures(
            sim,
            settings,
            bootstrap=broker.bootstrap,
            redis_url=redis_url,
            rate=rate,
            seconds=seconds,
            config=out / "correlator.yaml",
            faust_only=faust_only,
        )


if __name__ == "__main__":
    sys.exit(main())
