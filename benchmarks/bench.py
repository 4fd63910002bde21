"""`make bench`: throughput of the core against the raw decode rate, measured in one run.

Records are a simulated tenant in the real Graph formats (a beta sign-in is 2-4 KB). The
reference is `orjson.loads` alone over the same bytes; the core starts from the same raw bytes,
as the stream does (`Normalizer.normalize_bytes`: decode + parse), then enrich + join + rules.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

import orjson
from scale import GROWTH_SLICE, GROWTH_USERS, median, redis_figures, state_bytes
from stream import say, stream_figures  # sibling scripts in this folder

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


def tenant(
    out: Path, users: int, days: int, *, logs: bool = True, seed: int = 11
) -> tuple[Simulation, list[bytes], Path]:
    """The simulated tenant as raw records; its configuration and GeoIP files in ``out``
    (and its log files too, unless ``logs`` is False: the large tenants need no copy)."""
    sim = simulate(SimulationConfig(users=users, days=days, seed=seed))
    empty = dataclasses.replace(sim, signins=[], audits=[], tickets=[], calls=[], labels=[])
    write_simulation(sim if logs else empty, out)
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


def decode_pass(raw: list[bytes]) -> float:
    start = time.perf_counter()
    for data in raw:
        orjson.loads(data)
    return time.perf_counter() - start


def decode_and_core_rates(
    raw: list[bytes], out: Path, rounds: int, now_ms: int
) -> tuple[float, float, MemoryStates]:
    """Best of ``rounds`` for each, the rounds alternating: the ratio of the two compares
    passes taken under the same load on the machine, not two stretches of time apart."""
    decode, core, states = 0.0, 0.0, MemoryStates()
    for _ in range(rounds):
        decode = max(decode, len(raw) / decode_pass(raw))
        states = MemoryStates()
        core = max(core, len(raw) / core_pass(raw, out, states, now_ms))
    return decode, core, states


def core_pass(raw: list[bytes], out: Path, states: MemoryStates, now_ms: int) -> float:
    """Seconds for the core to take ``raw`` from bytes to findings, state in ``states``."""
    settings = load_settings(out / "correlator.yaml")
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
    return time.perf_counter() - start


def state_sizes(states: MemoryStates) -> list[int]:
    return sorted(len(encode_state(states.get(user))) for user in states)


def core_figures(raw: list[bytes], out: Path, rounds: int) -> dict[str, float]:
    now_ms = int(time.time() * 1000)
    raw = time_order(raw, Normalizer(max_future_ms=10**12), now_ms)
    size = statistics.mean(len(r) for r in raw)
    decode_eps, core_eps, states = decode_and_core_rates(raw, out, rounds, now_ms)
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
    parser.add_argument("--no-stream", action="store_true", help="no broker figures")
    parser.add_argument(
        "--faust-only",
        action="store_true",
        help="broker figures: raw, run (memory) and faust only; no Redis run, no workers "
        "runs (so no cost model), no latency runs",
    )
    parser.add_argument("--no-growth", action="store_true", help="no 1k/10k/100k-user tenants")
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    args = parser.parse_args()
    tune_gc()  # as the correlator command does
    sim, raw, out = tenant(args.out / "tenant", args.users, args.days)
    figures: dict[str, object] = dict(core_figures(raw, out, args.rounds))
    from stages import stage_costs, table  # a sibling script that imports this one

    costs = stage_costs(raw, out, args.rounds)
    figures["stage_us"] = {stage: round(cost * 1e6, 2) for stage, cost in costs.items()}
    say("per-stage CPU cost (µs per record):\n" + table(costs))
    if not args.no_stream:
        figures.update(stream_run(sim, out, args.rate, args.seconds, faust_only=args.faust_only))
        figures.update(cost_model(costs, figures))
    if not args.no_growth:
        figures.update(growth_figures(args.out))
    print(orjson.dumps(figures).decode())
    return 0


def growth_figures(out: Path) -> dict[str, object]:
    """Events/s and state per user as the tenant grows (one day each), and the 100,000
    users' state in Redis: memory per user, and the time to read it all back."""
    eps: dict[str, int] = {}
    per_user: dict[str, int] = {}
    figures: dict[str, object] = {}
    for users in GROWTH_USERS:
        records, seconds, states = grown_tenant(out / f"growth-{users}", users)
        eps[str(users)] = round(records / seconds)
        per_user[str(users)] = round(median(state_bytes(states)))
        say(f"{users:,} users, 1 day: {records:,} records, core {eps[str(users)]:,}/s, "
            f"state per user median {per_user[str(users)]} B")  # fmt: skip
        if users == GROWTH_USERS[-1]:
            stored = redis_figures(states)
            figures["redis_bytes_per_user_100k"] = round(stored["redis_bytes_per_user"])
            figures["restore_s_100k"] = round(stored["restore_s"], 2)
            say(f"Redis: {stored['redis_bytes_per_user']:.0f} B per user; "
                f"restore of {len(states):,} users {stored['restore_s']:.2f} s")  # fmt: skip
        del states
    figures["growth_core_eps"] = eps
    figures["growth_state_bytes_per_user"] = per_user
    figures["state_bytes_per_user_100k"] = per_user[str(GROWTH_USERS[-1])]
    return figures


def grown_tenant(out: Path, users: int) -> tuple[int, float, MemoryStates]:
    """(records, core seconds, states) of ``users`` users over one day. Simulated by slices
    of at most 10,000 users, each under its own domain, so that memory holds one slice's
    records at a time (a whole 100,000-user tenant as Python objects is ~10 GB)."""
    states, records, seconds = MemoryStates(), 0, 0.0
    for index in range(max(1, users // GROWTH_SLICE)):
        _, raw, directory = tenant(out, min(users, GROWTH_SLICE), 1, logs=False, seed=11 + index)
        raw = [r.replace(b"@northwind.example", b"@t%d.northwind.example" % index) for r in raw]
        now_ms = int(time.time() * 1000)
        raw = time_order(raw, Normalizer(max_future_ms=10**12), now_ms)
        seconds += core_pass(raw, directory, states, now_ms)
        records += len(raw)
    return records, seconds, states


def cost_model(costs: dict[str, float], figures: dict[str, object]) -> dict[str, object]:
    """Per-event CPU of one worker: the core's stages (measured alone) plus the Kafka work
    around them (the rest of one worker's time per event). N cores of workers then predict
    N times one worker's rate, up to the broker's ceiling; checked against 2 workers."""
    workers = figures.get("workers_eps")
    if not isinstance(workers, dict) or not workers.get("1") or "2" not in workers:
        return {}
    core = sum(cost for stage, cost in costs.items() if stage != "decode")
    per_event = 1 / float(workers["1"])
    kafka = max(0.0, per_event - core)
    ceiling = float(figures.get("raw_eps", 0.0) or float("inf"))  # type: ignore[arg-type]
    predicted = {str(n): round(min(n / per_event, ceiling)) for n in (1, 2, 4, 8)}
    model = {
        "model_us_per_event": {"core": round(core * 1e6, 1), "kafka": round(kafka * 1e6, 1)},
        "model_predicted_eps": predicted,
        "model_2_workers_measured_vs_predicted": round(float(workers["2"]) / predicted["2"], 2),
    }
    say(
        f"model: {core * 1e6:.1f} µs core + {kafka * 1e6:.1f} µs Kafka per event; predicted "
        f"{predicted} (broker ceiling {ceiling:,.0f}/s); 2 workers measured {workers['2']:,}/s"
    )
    return model


def stream_run(
    sim: Simulation, out: Path, rate: float, seconds: float, *, faust_only: bool = False
) -> dict[str, object]:
    """On KAFKA_BOOTSTRAP_SERVERS if set, else on the embedded broker; Redis at REDIS_URL or
    the local default."""
    settings = load_settings(out / "correlator.yaml")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        return stream_figures(
            sim,
            settings,
            out,
            bootstrap=bootstrap,
            redis_url=redis_url,
            rate=rate,
            seconds=seconds,
            faust_only=faust_only,
        )
    with EmbeddedBroker() as broker:
        return stream_figures(
            sim,
            settings,
            out,
            bootstrap=broker.bootstrap,
            redis_url=redis_url,
            rate=rate,
            seconds=seconds,
            faust_only=faust_only,
        )


if __name__ == "__main__":
    sys.exit(main())
